package secretdata

import (
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

func TestRenderGeneric(t *testing.T) {
	const tid, cid = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0b5f3a5e-1111-2222-3333-444455556666"
	cases := []struct {
		cloud cloud.Cloud
		want  map[string]string
	}{
		{cloud.Public, map[string]string{
			KeyTenantID:                    tid,
			KeyClientID:                    cid,
			KeyAuthorityHost:               "https://login.microsoftonline.com/",
			KeyIssuer:                      "https://login.microsoftonline.com/" + tid + "/v2.0",
			KeyDiscoveryURL:                "https://login.microsoftonline.com/" + tid + "/v2.0/.well-known/openid-configuration",
			KeyAuthorizationEndpoint:       "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/authorize",
			KeyTokenEndpoint:               "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/token",
			KeyJWKSURI:                     "https://login.microsoftonline.com/" + tid + "/discovery/v2.0/keys",
			KeyEndSessionEndpoint:          "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/logout",
			KeyUserinfoEndpoint:            "https://graph.microsoft.com/oidc/userinfo",
			KeyDeviceAuthorizationEndpoint: "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/devicecode",
		}},
		{cloud.USGovernment, map[string]string{
			KeyTenantID:                    tid,
			KeyClientID:                    cid,
			KeyAuthorityHost:               "https://login.microsoftonline.us/",
			KeyIssuer:                      "https://login.microsoftonline.us/" + tid + "/v2.0",
			KeyDiscoveryURL:                "https://login.microsoftonline.us/" + tid + "/v2.0/.well-known/openid-configuration",
			KeyAuthorizationEndpoint:       "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/authorize",
			KeyTokenEndpoint:               "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/token",
			KeyJWKSURI:                     "https://login.microsoftonline.us/" + tid + "/discovery/v2.0/keys",
			KeyEndSessionEndpoint:          "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/logout",
			KeyUserinfoEndpoint:            "https://graph.microsoft.us/oidc/userinfo",
			KeyDeviceAuthorizationEndpoint: "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/devicecode",
		}},
	}
	for _, c := range cases {
		t.Run(c.cloud.Name, func(t *testing.T) {
			got := Render(Input{TenantID: tid, ClientID: cid, Cloud: c.cloud})
			if len(got) != len(c.want) {
				t.Errorf("Render() has %d keys, want %d", len(got), len(c.want))
			}
			for k, v := range c.want {
				if string(got[k]) != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
