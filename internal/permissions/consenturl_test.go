package permissions

import (
	"net/url"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

func TestConsentURL(t *testing.T) {
	exchange := graph.Resource{AppID: v1.ExchangeOnlineAppID, Roles: []graph.Permission{{ID: "7146a1f0-8703-45b3-9eae-527a64c00995", Value: "SMTP.SendAsApp", Enabled: true}}}
	oro, _ := Resolve(v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "offline_access", "User.Read", "SMTP.Send"}}, graphSP())
	threeCX, _ := Resolve(v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"User.Read"}, Application: []v1.PermissionName{"User.Read.All", "Calendars.Read"}}, graphSP())
	smtpApp, _ := Resolve(v1.ResourcePermissions{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"SMTP.SendAsApp"}}, exchange)
	base := ConsentURL{AuthorityHost: "https://login.microsoftonline.com/", TenantID: "tenant-1", ClientID: "client-1",
		RedirectURI: "https://crm.example.com/oauth-callback.php", GraphResource: "https://graph.microsoft.com"}
	cases := []struct {
		name      string
		c         ConsentURL
		resolved  []Resolved
		wantScope string
		redirect  bool
	}{
		{"delegated scopes by name, OIDC scopes bare", base, []Resolved{oro},
			"openid offline_access https://graph.microsoft.com/User.Read https://graph.microsoft.com/SMTP.Send", true},
		{"application permissions by /.default, which covers the resource's delegated ones too", base, []Resolved{threeCX, smtpApp},
			"https://graph.microsoft.com/.default " + v1.ExchangeOnlineAppID + "/.default", true},
		{"no redirect URI registered", ConsentURL{AuthorityHost: base.AuthorityHost, TenantID: "tenant-1", ClientID: "client-1", GraphResource: base.GraphResource},
			[]Resolved{oro}, "openid offline_access https://graph.microsoft.com/User.Read https://graph.microsoft.com/SMTP.Send", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.c.For(c.resolved))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != "https://login.microsoftonline.com/tenant-1/v2.0/adminconsent" {
				t.Errorf("endpoint = %s", got)
			}
			q := u.Query()
			if q.Get("client_id") != "client-1" || q.Get("scope") != c.wantScope {
				t.Errorf("client_id=%q scope=%q, want scope %q", q.Get("client_id"), q.Get("scope"), c.wantScope)
			}
			if q.Has("redirect_uri") != c.redirect || (c.redirect && q.Get("redirect_uri") != base.RedirectURI) {
				t.Errorf("redirect_uri = %q", q.Get("redirect_uri"))
			}
		})
	}
	if got := base.For(nil); got != "" {
		t.Errorf("no permissions gave a URL: %s", got)
	}
}

func TestConsentRedirectURI(t *testing.T) {
	spec := v1.AppRegistrationSpec{
		SPA:          &v1.SinglePageApplication{RedirectURIs: []v1.RedirectURI{"https://crm.example.com/app"}},
		PublicClient: &v1.PublicClientApplication{RedirectURIs: []v1.PublicClientRedirectURI{"msal1://auth"}},
	}
	if got := ConsentRedirectURI(spec); got != "https://crm.example.com/app" {
		t.Errorf("without web URIs: %q, want the SPA's", got)
	}
	spec.Web = &v1.WebApplication{RedirectURIs: []v1.RedirectURI{"https://crm.example.com/oauth-callback.php"}}
	if got := ConsentRedirectURI(spec); got != "https://crm.example.com/oauth-callback.php" {
		t.Errorf("with web URIs: %q, want the first web one", got)
	}
	if got := ConsentRedirectURI(v1.AppRegistrationSpec{PublicClient: spec.PublicClient}); got != "msal1://auth" {
		t.Errorf("public client only: %q", got)
	}
	if got := ConsentRedirectURI(v1.AppRegistrationSpec{}); got != "" {
		t.Errorf("no URIs: %q", got)
	}
}
