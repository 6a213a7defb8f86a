package cloud

import (
	"strings"
	"testing"
)

func TestEndpoints(t *testing.T) {
	const tid = "11111111-2222-3333-4444-555555555555"
	emulator, err := Public.WithOverrides("https://127.0.0.1:8443", "https://127.0.0.1:8443/v1.0/")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cloud Cloud
		want  Endpoints
	}{
		{Public, Endpoints{
			Issuer:                      "https://login.microsoftonline.com/" + tid + "/v2.0",
			DiscoveryURL:                "https://login.microsoftonline.com/" + tid + "/v2.0/.well-known/openid-configuration",
			AuthorizationEndpoint:       "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/authorize",
			TokenEndpoint:               "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/token",
			JWKSURI:                     "https://login.microsoftonline.com/" + tid + "/discovery/v2.0/keys",
			EndSessionEndpoint:          "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/logout",
			UserinfoEndpoint:            "https://graph.microsoft.com/oidc/userinfo",
			DeviceAuthorizationEndpoint: "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/devicecode",
		}},
		{China, Endpoints{
			Issuer:                      "https://login.partner.microsoftonline.cn/" + tid + "/v2.0",
			DiscoveryURL:                "https://login.chinacloudapi.cn/" + tid + "/v2.0/.well-known/openid-configuration",
			AuthorizationEndpoint:       "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/authorize",
			TokenEndpoint:               "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/token",
			JWKSURI:                     "https://login.chinacloudapi.cn/" + tid + "/discovery/v2.0/keys",
			EndSessionEndpoint:          "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/logout",
			UserinfoEndpoint:            "https://microsoftgraph.chinacloudapi.cn/oidc/userinfo",
			DeviceAuthorizationEndpoint: "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/devicecode",
		}},
		{emulator, Endpoints{
			Issuer:                      "https://127.0.0.1:8443/" + tid + "/v2.0",
			DiscoveryURL:                "https://127.0.0.1:8443/" + tid + "/v2.0/.well-known/openid-configuration",
			AuthorizationEndpoint:       "https://127.0.0.1:8443/" + tid + "/oauth2/v2.0/authorize",
			TokenEndpoint:               "https://127.0.0.1:8443/" + tid + "/oauth2/v2.0/token",
			JWKSURI:                     "https://127.0.0.1:8443/" + tid + "/discovery/v2.0/keys",
			EndSessionEndpoint:          "https://127.0.0.1:8443/" + tid + "/oauth2/v2.0/logout",
			UserinfoEndpoint:            "https://127.0.0.1:8443/oidc/userinfo",
			DeviceAuthorizationEndpoint: "https://127.0.0.1:8443/" + tid + "/oauth2/v2.0/devicecode",
		}},
	}
	for _, c := range cases {
		t.Run(c.cloud.Name, func(t *testing.T) {
			if got := c.cloud.Endpoints(tid); got != c.want {
				t.Errorf("Endpoints() =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
	if got := emulator.GraphBaseURL(); got != "https://127.0.0.1:8443/v1.0" {
		t.Errorf("GraphBaseURL() = %q", got)
	}
	if got := USGovernment.GraphScope(); got != "https://graph.microsoft.us/.default" {
		t.Errorf("GraphScope() = %q", got)
	}
	if got := emulator.GraphScope(); got != "https://graph.microsoft.com/.default" {
		t.Errorf("an overridden endpoint changed the token scope to %q", got)
	}
}

func TestByNameAndOverrides(t *testing.T) {
	if c, err := ByName("azurechina"); err != nil || c.GraphEndpoint != China.GraphEndpoint {
		t.Errorf("ByName(azurechina) = %v, %v", c, err)
	}
	if _, err := ByName("mars"); err == nil {
		t.Error("ByName(mars) succeeded")
	}
	for _, bad := range []string{"http://127.0.0.1:8443", "login.example.com", "https://"} {
		if _, err := Public.WithOverrides(bad, ""); err == nil {
			t.Errorf("authority host %q accepted", bad)
		}
		if _, err := Public.WithOverrides("", bad); err == nil {
			t.Errorf("graph endpoint %q accepted", bad)
		}
	}
}

func TestGraphAudienceWarning(t *testing.T) {
	if w := Public.GraphAudienceWarning(); w != "" {
		t.Errorf("the public cloud warns about itself: %s", w)
	}
	emulated, err := Public.WithOverrides("https://127.0.0.1:8443/", "https://127.0.0.1:8443/v1.0")
	if err != nil {
		t.Fatal(err)
	}
	w := emulated.GraphAudienceWarning()
	if !strings.Contains(w, "https://127.0.0.1:8443") || !strings.Contains(w, "https://graph.microsoft.com/.default") {
		t.Errorf("an endpoint away from Graph gives no clear warning: %q", w)
	}
}

// The mail protocols' scopes are Exchange Online's resource plus the permission, as Microsoft's
// "Authenticate an IMAP, POP or SMTP connection using OAuth" lists them, and known only where
// Microsoft documents the resource; overriding the hosts for the emulator keeps them.
func TestOutlookScope(t *testing.T) {
	if got := Public.OutlookScope("SMTP.Send"); got != "https://outlook.office.com/SMTP.Send" {
		t.Errorf("Public.OutlookScope() = %q", got)
	}
	for _, c := range Known[1:] {
		if got := c.OutlookScope("SMTP.Send"); got != "" || c.SMTPHost != "" {
			t.Errorf("%s: scope %q, SMTP host %q, want neither guessed", c.Name, got, c.SMTPHost)
		}
	}
	emu, err := Public.WithOverrides("https://127.0.0.1:8443", "https://127.0.0.1:8443/v1.0")
	if err != nil {
		t.Fatal(err)
	}
	if emu.OutlookScope("SMTP.Send") != Public.OutlookScope("SMTP.Send") || emu.SMTPHost != Public.SMTPHost {
		t.Errorf("overrides changed Exchange Online's resource or host: %+v", emu)
	}
}
