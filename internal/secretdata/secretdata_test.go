package secretdata

import (
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

// The URLs themselves are pinned per cloud in internal/cloud; this test pins which key carries which.
func TestRenderGeneric(t *testing.T) {
	const tid, cid = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0b5f3a5e-1111-2222-3333-444455556666"
	for _, c := range cloud.Known {
		t.Run(c.Name, func(t *testing.T) {
			ep := c.Endpoints(tid)
			want := map[string]string{
				KeyTenantID:                    tid,
				KeyClientID:                    cid,
				KeyAuthorityHost:               c.AuthorityHost,
				KeyIssuer:                      ep.Issuer,
				KeyDiscoveryURL:                ep.DiscoveryURL,
				KeyAuthorizationEndpoint:       ep.AuthorizationEndpoint,
				KeyTokenEndpoint:               ep.TokenEndpoint,
				KeyJWKSURI:                     ep.JWKSURI,
				KeyEndSessionEndpoint:          ep.EndSessionEndpoint,
				KeyUserinfoEndpoint:            ep.UserinfoEndpoint,
				KeyDeviceAuthorizationEndpoint: ep.DeviceAuthorizationEndpoint,
			}
			got := Render(Input{TenantID: tid, ClientID: cid, Cloud: c})
			if len(got) != len(want) {
				t.Errorf("Render() has %d keys, want %d", len(got), len(want))
			}
			for k, v := range want {
				if v == "" {
					t.Fatalf("test bug: %s is empty", k)
				}
				if string(got[k]) != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// azidentity's EnvironmentCredential and DefaultAzureCredential read exactly these names.
func TestAzureKeysAreTheOnesAzidentityReads(t *testing.T) {
	for key, want := range map[string]string{KeyTenantID: "AZURE_TENANT_ID", KeyClientID: "AZURE_CLIENT_ID", KeyAuthorityHost: "AZURE_AUTHORITY_HOST"} {
		if key != want {
			t.Errorf("key %q, want %q", key, want)
		}
	}
}
