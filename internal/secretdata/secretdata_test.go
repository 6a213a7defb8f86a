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

// The credentials appear under their keys only when declared, and the annotations name their key IDs.
func TestRenderCredentials(t *testing.T) {
	in := Input{TenantID: "t", ClientID: "c", Cloud: cloud.Public}
	bare := Render(in)
	for _, k := range []string{KeyClientSecret, KeyTLSCert, KeyTLSKey, KeyCombinedPEM, KeyCertificateThumbprint} {
		if _, ok := bare[k]; ok {
			t.Errorf("%s is present without a credential", k)
		}
	}
	if len(Annotations(in)) != 0 {
		t.Errorf("annotations without credentials: %v", Annotations(in))
	}
	in.ClientSecret = &ClientSecret{KeyID: "k1", Value: "abc8Q~secret", RotationRequest: "monday"}
	in.Certificate = &Certificate{KeyID: "k2", CertPEM: []byte("cert"), KeyPEM: []byte("key"), CombinedPEM: []byte("key\ncert"), Thumbprint: "AB"}
	got := Render(in)
	want := map[string]string{KeyClientSecret: "abc8Q~secret", KeyTLSCert: "cert", KeyTLSKey: "key", KeyCombinedPEM: "key\ncert", KeyCertificateThumbprint: "AB"}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	a := Annotations(in)
	if a[AnnotationClientSecretKeyID] != "k1" || a[AnnotationCertificateKeyID] != "k2" || a[AnnotationClientSecretRotation] != "monday" {
		t.Errorf("annotations = %v", a)
	}
	if _, ok := a[AnnotationCertificateRotation]; ok {
		t.Error("a certificate that answered no rotation request records one")
	}
	if KeyClientSecret != "AZURE_CLIENT_SECRET" {
		t.Error("azidentity reads the client secret from AZURE_CLIENT_SECRET")
	}
}
