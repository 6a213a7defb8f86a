package secretdata

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testClient = "0b5f3a5e-1111-2222-3333-444455556666"
	testSecret = "abc8Q~0123456789abcdefghijklmnopqrstuvw"
)

// full is an Input with every credential and everything the formats read.
func full(f Format) Input {
	return Input{
		TenantID: testTenant, ClientID: testClient, Cloud: cloud.Public, Format: f,
		ClientSecret: &ClientSecret{KeyID: "k1", Value: testSecret},
		Certificate: &Certificate{KeyID: "k2", CertPEM: []byte("-----BEGIN CERTIFICATE-----\n"), KeyPEM: []byte("-----BEGIN PRIVATE KEY-----\n"),
			CombinedPEM: []byte("-----BEGIN PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n"), Thumbprint: "0A1B"},
		RedirectURIs:         []string{"https://crm.example.com/login/check-office365", "https://crm.example.com/microsoft-identity/connection/access-token"},
		DelegatedPermissions: []string{"openid", "offline_access", "SMTP.Send", "IMAP.AccessAsUser.All", "User.Read"},
	}
}

func mustRender(t *testing.T, in Input) map[string]string {
	t.Helper()
	data, err := Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	out := make(map[string]string, len(data))
	for k, v := range data {
		out[k] = string(v)
	}
	return out
}

// The keys existing users of the Generic format read: none may change or go.
func TestGenericKeysStayAsTheyWere(t *testing.T) {
	want := []string{"AZURE_AUTHORITY_HOST", "AZURE_CLIENT_CERTIFICATE_THUMBPRINT", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID",
		"OIDC_AUTHORIZATION_ENDPOINT", "OIDC_DEVICE_AUTHORIZATION_ENDPOINT", "OIDC_DISCOVERY_URL", "OIDC_END_SESSION_ENDPOINT", "OIDC_ISSUER",
		"OIDC_JWKS_URI", "OIDC_TOKEN_ENDPOINT", "OIDC_USERINFO_ENDPOINT", "tls-combined.pem", "tls.crt", "tls.key"}
	for _, f := range []Format{"", FormatGeneric} {
		if got := slices.Sorted(maps.Keys(mustRender(t, full(f)))); !slices.Equal(got, want) {
			t.Errorf("format %q writes %v, want %v", f, got, want)
		}
	}
	if a := Annotations(full(FormatGeneric)); a[AnnotationFormat] != "" {
		t.Errorf("a Generic Secret is annotated with format %q: Secrets written before formats existed have none", a[AnnotationFormat])
	}
}

// The URLs themselves are pinned per cloud in internal/cloud; this test pins which key carries which.
func TestRenderGeneric(t *testing.T) {
	for _, c := range cloud.Known {
		t.Run(c.Name, func(t *testing.T) {
			ep := c.Endpoints(testTenant)
			want := map[string]string{
				KeyTenantID:                    testTenant,
				KeyClientID:                    testClient,
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
			got := mustRender(t, Input{TenantID: testTenant, ClientID: testClient, Cloud: c})
			for k, v := range want {
				if v == "" {
					t.Fatalf("test bug: %s is empty", k)
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("Render() = %v, want %v", got, want)
			}
		})
	}
}

// azidentity's EnvironmentCredential and DefaultAzureCredential read exactly these names.
func TestAzureKeysAreTheOnesAzidentityReads(t *testing.T) {
	for key, want := range map[string]string{KeyTenantID: "AZURE_TENANT_ID", KeyClientID: "AZURE_CLIENT_ID", KeyAuthorityHost: "AZURE_AUTHORITY_HOST", KeyClientSecret: "AZURE_CLIENT_SECRET"} {
		if key != want {
			t.Errorf("key %q, want %q", key, want)
		}
	}
}

// The credentials appear under their keys only when declared, and the annotations name their key IDs.
func TestRenderCredentials(t *testing.T) {
	in := Input{TenantID: "t", ClientID: "c", Cloud: cloud.Public}
	bare := mustRender(t, in)
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
	got := mustRender(t, in)
	want := map[string]string{KeyClientSecret: "abc8Q~secret", KeyTLSCert: "cert", KeyTLSKey: "key", KeyCombinedPEM: "key\ncert", KeyCertificateThumbprint: "AB"}
	for k, v := range want {
		if got[k] != v {
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
}

// Each preset, with everything declared, writes exactly these keys and values.
func TestPresets(t *testing.T) {
	ep := cloud.Public.Endpoints(testTenant)
	cases := []struct {
		format Format
		want   map[string]string
	}{
		{FormatEspoCRM, map[string]string{
			EspoCRMAuthenticationMethod:  "Oidc",
			EspoCRMClientID:              testClient,
			EspoCRMClientSecret:          testSecret,
			EspoCRMAuthorizationEndpoint: ep.AuthorizationEndpoint,
			EspoCRMTokenEndpoint:         ep.TokenEndpoint,
			EspoCRMJWKSEndpoint:          ep.JWKSURI,
			EspoCRMLogoutURL:             ep.EndSessionEndpoint,
			EspoCRMUsernameClaim:         "email",
			EspoCRMCreateUser:            "true",
		}},
		{FormatOroCRM, map[string]string{
			OroCRMClientID:     testClient,
			OroCRMClientSecret: testSecret,
			OroCRMTenant:       testTenant,
			// Oro's order (offline_access, IMAP, POP, SMTP), only the declared ones.
			OroCRMMailScopes:   "offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send",
			OroCRMRedirectURIs: "https://crm.example.com/login/check-office365 https://crm.example.com/microsoft-identity/connection/access-token",
		}},
		{FormatSMTP, map[string]string{
			SMTPHost:                  "smtp.office365.com",
			SMTPPort:                  "587",
			SMTPEncryption:            "tls",
			SMTPAuthMechanism:         "XOAUTH2",
			SMTPTenantID:              testTenant,
			SMTPClientID:              testClient,
			SMTPClientSecret:          testSecret,
			SMTPAuthorizationEndpoint: ep.AuthorizationEndpoint,
			SMTPTokenEndpoint:         ep.TokenEndpoint,
			SMTPScope:                 "https://outlook.office.com/SMTP.Send offline_access",
		}},
		{FormatThreeCX, map[string]string{
			ThreeCXClientID:              testClient,
			ThreeCXTenantID:              testTenant,
			ThreeCXCertificateThumbprint: "0A1B",
			ThreeCXCertificate:           "-----BEGIN CERTIFICATE-----\n",
			ThreeCXPrivateKey:            "-----BEGIN PRIVATE KEY-----\n",
		}},
	}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			if got := mustRender(t, full(c.format)); !maps.Equal(got, c.want) {
				t.Errorf("Render() = %v\nwant %v", got, c.want)
			}
			if a := Annotations(full(c.format)); a[AnnotationFormat] != string(c.format) {
				t.Errorf("annotation %s = %q", AnnotationFormat, a[AnnotationFormat])
			}
		})
	}
}

// Keys lists every key a format writes, and the credential keys hold the credential verbatim, so
// the operator reads back what the Secret holds whatever its format.
func TestKeysAndCredentialKeys(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			got := mustRender(t, full(f))
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, Keys(f)) {
				t.Errorf("with everything declared it writes %v; Keys() = %v", keys, Keys(f))
			}
			secretKey, certKey, privateKey := CredentialKeys(f)
			in := full(f)
			for key, want := range map[string]string{secretKey: in.ClientSecret.Value, certKey: string(in.Certificate.CertPEM), privateKey: string(in.Certificate.KeyPEM)} {
				if key != "" && got[key] != want {
					t.Errorf("credential key %s = %q, want %q", key, got[key], want)
				}
			}
		})
	}
	if Keys("Unknown") != nil {
		t.Error("an unknown format has keys")
	}
}

// The API's enum and this package's formats are one list.
func TestFormatsAreTheAPIsEnum(t *testing.T) {
	api := []v1.SecretFormat{v1.SecretFormatGeneric, v1.SecretFormatEspoCRM, v1.SecretFormatOroCRM, v1.SecretFormatSMTP, v1.SecretFormatThreeCX}
	if len(api) != len(Formats) {
		t.Fatalf("the API has %d formats, secretdata %d", len(api), len(Formats))
	}
	for i, f := range api {
		if string(f) != string(Formats[i]) {
			t.Errorf("format %d: API %q, secretdata %q", i, f, Formats[i])
		}
	}
}

// Exchange Online's hosts are known in the public cloud only: the formats that need them refuse
// other clouds rather than guess, and the others render everywhere.
func TestFormatsOutsideThePublicCloud(t *testing.T) {
	for _, c := range cloud.Known[1:] {
		for _, f := range Formats {
			in := full(f)
			in.Cloud = c
			_, err := RenderFormat(in)
			needsExchange := f == FormatSMTP || f == FormatOroCRM
			var rerr *Error
			switch {
			case needsExchange && (!errors.As(err, &rerr) || rerr.Template() || !strings.Contains(err.Error(), c.Name)):
				t.Errorf("%s in %s: err = %v, want one naming the cloud", f, c.Name, err)
			case !needsExchange && err != nil:
				t.Errorf("%s in %s: %v", f, c.Name, err)
			}
		}
		// OroCRM without mail permissions needs no Exchange host.
		in := full(FormatOroCRM)
		in.Cloud, in.DelegatedPermissions = c, []string{"openid", "User.Read"}
		if _, err := RenderFormat(in); err != nil {
			t.Errorf("OroCRM without mail permissions in %s: %v", c.Name, err)
		}
	}
}

func TestTemplates(t *testing.T) {
	ep := cloud.Public.Endpoints(testTenant)
	cases := []struct {
		name      string
		templates []Template
		want      map[string]string
		// wantErr is in the error; the error must name the template's key.
		wantErr string
	}{
		{"values", []Template{{"SUITECRM_OAUTH", "{{ .ClientID }}@{{ .TenantID }}"}, {"TOKEN", "{{ .TokenEndpoint }}"}},
			map[string]string{"SUITECRM_OAUTH": testClient + "@" + testTenant, "TOKEN": ep.TokenEndpoint}, ""},
		{"functions", []Template{
			{"URIS", `{{ join .RedirectURIs "," }}`},
			{"HOST", `{{ .AuthorityHost | trimSuffix "/" | trimPrefix "https://" | upper | lower }}`},
			{"KEY_B64", `{{ b64enc .PrivateKeyPEM }}`},
		}, map[string]string{
			"URIS": "https://crm.example.com/login/check-office365,https://crm.example.com/microsoft-identity/connection/access-token",
			"HOST": "login.microsoftonline.com", "KEY_B64": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==",
		}, ""},
		{"a literal", []Template{{"MAIL_FROM", "crm@example.com"}}, map[string]string{"MAIL_FROM": "crm@example.com"}, ""},
		{"a name the values lack", []Template{{"X", "{{ .ClientId }}"}}, nil, "can't evaluate field ClientId"},
		{"a parse error", []Template{{"X", "{{ .ClientID "}}, nil, "unclosed action"},
		{"an unknown function", []Template{{"X", "{{ sha256 .ClientID }}"}}, nil, `function "sha256" not defined`},
		{"a key of the format", []Template{{KeyClientSecret, "{{ .ClientSecret }}"}}, nil, "is a key of the Generic format"},
		{"a key twice", []Template{{"X", "a"}, {"X", "b"}}, nil, "appears twice"},
		{"an index past the end", []Template{{"X", "{{ index .ClientSecret 99 }}"}}, nil, "index out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := full(FormatGeneric)
			in.Templates = c.templates
			got, err := RenderTemplates(in)
			if c.wantErr != "" {
				var rerr *Error
				if !errors.As(err, &rerr) || !rerr.Template() || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "key X") && !strings.Contains(err.Error(), "key "+KeyClientSecret) {
					t.Fatalf("err = %v, want a template error naming the key and saying %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), testSecret) {
					t.Errorf("the error holds the client secret: %v", err)
				}
				if _, err := Render(in); err == nil {
					t.Error("Render succeeded with a failing template")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for k, v := range got {
				out[k] = string(v)
			}
			if !maps.Equal(out, c.want) {
				t.Errorf("templates = %v, want %v", out, c.want)
			}
			all := mustRender(t, in)
			for k, v := range c.want {
				if all[k] != v {
					t.Errorf("Render()[%s] = %q, want %q", k, all[k], v)
				}
			}
		})
	}
}

// A message that quotes a value is cut before it reaches status or events.
func TestRedact(t *testing.T) {
	v := valuesOf(full(FormatGeneric))
	msg := redact("template: X: bad value "+testSecret+" and "+v.CombinedPEM, v)
	if strings.Contains(msg, testSecret) || strings.Contains(msg, v.CombinedPEM) || strings.Count(msg, "[redacted]") != 2 {
		t.Errorf("redact() = %q", msg)
	}
	if got := redact("nothing to hide", Values{}); got != "nothing to hide" {
		t.Errorf("redact() with no credentials = %q", got)
	}
}

func TestFormatOf(t *testing.T) {
	for _, c := range []struct {
		annotations map[string]string
		want        Format
	}{
		{nil, FormatGeneric},
		{map[string]string{AnnotationFormat: "ThreeCX"}, FormatThreeCX},
		{map[string]string{"other": "x"}, FormatGeneric},
	} {
		if got := FormatOf(c.annotations); got != c.want {
			t.Errorf("FormatOf(%v) = %q, want %q", c.annotations, got, c.want)
		}
	}
}

func TestMergeMetadata(t *testing.T) {
	own := Metadata{
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "entra-sso-operator", "entra.sso-operator.io/appregistration": "espocrm"},
		Annotations: map[string]string{AnnotationClientSecretKeyID: "k2"},
	}
	cases := []struct {
		name          string
		current, spec Metadata
		want          Metadata
	}{
		{"new Secret, nothing from the spec", Metadata{}, Metadata{}, own},
		{"the spec's are added and recorded", Metadata{},
			Metadata{Labels: map[string]string{"team": "crm"}, Annotations: map[string]string{"reflector.v1/allow": "true"}},
			Metadata{
				Labels: map[string]string{"app.kubernetes.io/managed-by": "entra-sso-operator", "entra.sso-operator.io/appregistration": "espocrm", "team": "crm"},
				Annotations: map[string]string{AnnotationClientSecretKeyID: "k2", "reflector.v1/allow": "true",
					AnnotationSpecMetadata: `{"labels":["team"],"annotations":["reflector.v1/allow"]}`},
			}},
		{"what the spec dropped goes, everyone else's stays, stale credential records go",
			Metadata{
				Labels: map[string]string{"team": "crm", "tier": "gold", "argocd.argoproj.io/instance": "crm"},
				Annotations: map[string]string{AnnotationClientSecretKeyID: "k1", AnnotationCertificateKeyID: "c1", "kept-by-someone": "x",
					"reflector.v1/allow": "true", AnnotationSpecMetadata: `{"labels":["team","tier"],"annotations":["reflector.v1/allow"]}`},
			},
			Metadata{Labels: map[string]string{"tier": "silver"}},
			Metadata{
				Labels: map[string]string{"app.kubernetes.io/managed-by": "entra-sso-operator", "entra.sso-operator.io/appregistration": "espocrm",
					"tier": "silver", "argocd.argoproj.io/instance": "crm"},
				Annotations: map[string]string{AnnotationClientSecretKeyID: "k2", "kept-by-someone": "x", AnnotationSpecMetadata: `{"labels":["tier"]}`},
			}},
		{"a record edited into nonsense removes nothing it cannot name",
			Metadata{Labels: map[string]string{"team": "crm"}, Annotations: map[string]string{AnnotationSpecMetadata: "{"}},
			Metadata{},
			Metadata{Labels: map[string]string{"app.kubernetes.io/managed-by": "entra-sso-operator", "entra.sso-operator.io/appregistration": "espocrm", "team": "crm"},
				Annotations: own.Annotations}},
		{"the operator's own win", Metadata{},
			Metadata{Labels: map[string]string{"entra.sso-operator.io/appregistration": "other"}},
			Metadata{Labels: own.Labels, Annotations: map[string]string{AnnotationClientSecretKeyID: "k2",
				AnnotationSpecMetadata: `{"labels":["entra.sso-operator.io/appregistration"]}`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := Metadata{Labels: maps.Clone(c.current.Labels), Annotations: maps.Clone(c.current.Annotations)}
			got := MergeMetadata(c.current, own, c.spec)
			if !maps.Equal(got.Labels, c.want.Labels) || !maps.Equal(got.Annotations, c.want.Annotations) {
				t.Errorf("MergeMetadata() =\n  %v\n  %v\nwant\n  %v\n  %v", got.Labels, got.Annotations, c.want.Labels, c.want.Annotations)
			}
			if !maps.Equal(before.Labels, c.current.Labels) || !maps.Equal(before.Annotations, c.current.Annotations) {
				t.Error("MergeMetadata changed its input")
			}
			again := MergeMetadata(got, own, c.spec)
			if !maps.Equal(again.Labels, got.Labels) || !maps.Equal(again.Annotations, got.Annotations) {
				t.Errorf("a second merge changes the result: %v %v", again.Labels, again.Annotations)
			}
		})
	}
}

func TestContentHash(t *testing.T) {
	a := map[string][]byte{"A": []byte("1"), "B": []byte("2")}
	cases := []struct {
		name  string
		other map[string][]byte
		same  bool
	}{
		{"the same data", map[string][]byte{"B": []byte("2"), "A": []byte("1")}, true},
		{"a value changed", map[string][]byte{"A": []byte("1"), "B": []byte("3")}, false},
		{"a key added", map[string][]byte{"A": []byte("1"), "B": []byte("2"), "C": nil}, false},
		{"a byte moved from a key to its value", map[string][]byte{"A": []byte("1"), "": []byte("B2")}, false},
		{"a byte moved between values", map[string][]byte{"A": []byte("12"), "B": []byte("")}, false},
	}
	h := ContentHash(a)
	if len(h) != 64 {
		t.Fatalf("ContentHash() = %q, want 64 hex digits", h)
	}
	for _, c := range cases {
		if got := ContentHash(c.other) == h; got != c.same {
			t.Errorf("%s: equal hashes = %v, want %v", c.name, got, c.same)
		}
	}
}
