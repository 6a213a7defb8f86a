package emulator_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// Real permission IDs the admin consent tests declare.
const (
	scopeUserRead     = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
	scopeMailSend     = "e383f46e-2787-4529-855e-0e479a3ffac0"
	roleUserReadAll   = "df021288-bdef-4463-88db-98f22de89214"
	roleCalendarsRead = "798ee544-9d2d-430c-a058-570e29e34338"
	roleSMTPSendAsApp = "7146a1f0-8703-45b3-9eae-527a64c00995"
)

// consentingApp registers a CRM declaring Graph's User.Read and Mail.Send scopes and User.Read.All
// and Calendars.Read roles, plus Exchange Online's SMTP.SendAsApp when withExchange, with a
// service principal and a secret, and nothing consented.
func consentingApp(t *testing.T, srv *emulator.Server, withExchange bool) (tenant *emulator.Tenant, appID, secret string) {
	t.Helper()
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	objectID, appID := newAppWithSP(t, gc, "3CX")
	secret = *addPassword(t, gc, objectID, nil).GetSecretText()
	err := tenant.UpdateApplication(objectID, func(a *emulator.Application) {
		a.Web.RedirectURIs = []string{crmRedirect}
		a.RequiredResourceAccess = []emulator.RequiredResourceAccess{{ResourceAppID: emulator.MicrosoftGraphAppID, ResourceAccess: []emulator.ResourceAccess{
			{ID: scopeUserRead, Type: "Scope"}, {ID: scopeMailSend, Type: "Scope"},
			{ID: roleUserReadAll, Type: "Role"}, {ID: roleCalendarsRead, Type: "Role"},
		}}}
		if withExchange {
			a.RequiredResourceAccess = append(a.RequiredResourceAccess, emulator.RequiredResourceAccess{
				ResourceAppID: emulator.ExchangeOnlineAppID, ResourceAccess: []emulator.ResourceAccess{{ID: roleSMTPSendAsApp, Type: "Role"}},
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tenant, appID, secret
}

func adminConsentURL(srv *emulator.Server, tenant *emulator.Tenant, params url.Values) string {
	return srv.URL() + "/" + tenant.ID() + "/v2.0/adminconsent?" + params.Encode()
}

// consentOf is the tenant-wide consent of the client appID: its grant's scopes per resource and its
// assigned role IDs, sorted.
func consentOf(t *testing.T, tenant *emulator.Tenant, appID string) (scopes map[string]string, roles []string) {
	t.Helper()
	sp, ok := tenant.ServicePrincipalByAppID(appID)
	if !ok {
		t.Fatalf("no service principal for %s", appID)
	}
	scopes = map[string]string{}
	for _, g := range tenant.OAuth2PermissionGrants() {
		if g.ClientID == sp.ID {
			if _, dup := scopes[g.ResourceID]; dup {
				t.Errorf("two grants of %s on resource %s", appID, g.ResourceID)
			}
			scopes[g.ResourceID] = g.ConsentType + ": " + g.Scope
		}
	}
	for _, a := range tenant.AppRoleAssignments() {
		if a.PrincipalID == sp.ID {
			roles = append(roles, a.AppRoleID)
		}
	}
	slices.Sort(roles)
	return scopes, roles
}

// TestAdminConsentEndpoint: the admin consent URL grants, for a Global Administrator, exactly what
// it names (/.default: what the application declares), merges into the one tenant-wide grant on a
// repeat, and returns to the registered redirect URI; tokens then carry the roles and scopes.
func TestAdminConsentEndpoint(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, appID, secret := consentingApp(t, srv, true)
	users := tenant.Users()
	if !users[0].GlobalAdministrator || users[1].GlobalAdministrator {
		t.Fatalf("seeded users: the first must be the administrator, the others not: %+v", users)
	}

	graphDefault := "https://graph.microsoft.com/.default " + emulator.ExchangeOnlineAppID + "/.default"
	status, header, _ := getNoRedirect(t, srv, adminConsentURL(srv, tenant, url.Values{
		"client_id": {appID}, "scope": {graphDefault}, "redirect_uri": {crmRedirect}, "state": {"s-1"},
	}))
	loc, err := url.Parse(header.Get("Location"))
	if status != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), crmRedirect+"?") {
		t.Fatalf("admin consent: %d, Location %q", status, header.Get("Location"))
	}
	if q := loc.Query(); q.Get("admin_consent") != "True" || q.Get("tenant") != tenant.ID() || q.Get("state") != "s-1" || q.Get("scope") != graphDefault {
		t.Errorf("admin consent redirect parameters: %v", q)
	}
	scopes, roles := consentOf(t, tenant, appID)
	if got := scopes[tenant.GraphServicePrincipalID()]; got != "AllPrincipals: User.Read Mail.Send" || len(scopes) != 1 {
		t.Errorf("delegated consent = %v, want one tenant-wide Graph grant of User.Read Mail.Send", scopes)
	}
	wantRoles := []string{roleSMTPSendAsApp, roleCalendarsRead, roleUserReadAll}
	slices.Sort(wantRoles)
	if !slices.Equal(roles, wantRoles) {
		t.Errorf("assigned roles = %v, want %v", roles, wantRoles)
	}
	graphRoles, _ := claimsOf(t, clientSecretToken(t, srv, tenant.ID(), appID, secret).AccessToken)["roles"].([]any)
	if fmt.Sprint(graphRoles) != "[Calendars.Read User.Read.All]" {
		t.Errorf("Graph token roles = %v", graphRoles)
	}
	exchange := postToken(t, srv, tenant.ID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_secret": {secret}, "scope": {"https://outlook.office365.com/.default"}})
	if roles, _ := claimsOf(t, exchange.AccessToken)["roles"].([]any); fmt.Sprint(roles) != "[SMTP.SendAsApp]" {
		t.Errorf("Exchange token roles = %v", roles)
	}

	// Named delegated scopes merge into the same grant; nothing is granted twice. Without a
	// redirect_uri the endpoint returns to the first registered web redirect URI.
	status, header, _ = getNoRedirect(t, srv, adminConsentURL(srv, tenant, url.Values{
		"client_id": {appID}, "scope": {"openid https://graph.microsoft.com/User.Read " + graphDefault},
	}))
	if status != http.StatusFound || !strings.HasPrefix(header.Get("Location"), crmRedirect+"?admin_consent=True") {
		t.Fatalf("second consent: %d %q", status, header.Get("Location"))
	}
	scopes, again := consentOf(t, tenant, appID)
	if got := scopes[tenant.GraphServicePrincipalID()]; got != "AllPrincipals: User.Read Mail.Send openid" {
		t.Errorf("after a second consent the grant is %q", got)
	}
	if !slices.Equal(again, wantRoles) {
		t.Errorf("after a second consent the roles are %v", again)
	}
}

// TestAdminConsentRefusals: a user who is not an administrator, an unregistered redirect URI, a
// scope the resource lacks and /.default on a resource the application does not declare are all
// refused, and none grants anything.
func TestAdminConsentRefusals(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, appID, _ := consentingApp(t, srv, false)
	users := tenant.Users()
	base := url.Values{"client_id": {appID}, "scope": {"https://graph.microsoft.com/.default"}, "redirect_uri": {crmRedirect}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for key, vals := range base {
			q[key] = slices.Clone(vals)
		}
		q.Set(k, v)
		return q
	}
	cases := []struct {
		name   string
		params url.Values
		// status is the answer; redirected errors carry wantCode in error_description, pages in the body.
		status   int
		wantCode string
	}{
		{"an ordinary user", with("login_hint", users[1].UserPrincipalName), http.StatusForbidden, "AADSTS90094"},
		{"an unknown user", with("login_hint", "nobody@example.com"), http.StatusBadRequest, "AADSTS50034"},
		{"an unregistered redirect URI", with("redirect_uri", "https://evil.example.com/cb"), http.StatusBadRequest, "AADSTS50011"},
		{"an unknown client", with("client_id", "11111111-2222-3333-4444-555555555555"), http.StatusBadRequest, "AADSTS700016"},
		{"a scope the resource does not publish", with("scope", "https://graph.microsoft.com/Mail.Sendd"), http.StatusFound, "AADSTS650053"},
		{"/.default on a resource the application does not declare", with("scope", emulator.ExchangeOnlineAppID+"/.default"), http.StatusFound, "AADSTS650057"},
		{"an unknown resource", with("scope", "https://unknown.example.com/.default"), http.StatusFound, "AADSTS500011"},
		{"no scope", with("scope", ""), http.StatusFound, "AADSTS900144"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, header, body := getNoRedirect(t, srv, adminConsentURL(srv, tenant, c.params))
			if status != c.status {
				t.Fatalf("status %d, want %d (Location %q)", status, c.status, header.Get("Location"))
			}
			evidence := string(body)
			if status == http.StatusFound {
				loc, err := url.Parse(header.Get("Location"))
				if err != nil || !strings.HasPrefix(loc.String(), crmRedirect+"?") || loc.Query().Get("admin_consent") != "" {
					t.Fatalf("an error went to %q", header.Get("Location"))
				}
				evidence = loc.Query().Get("error") + " " + loc.Query().Get("error_description")
			} else if header.Get("Location") != "" {
				t.Errorf("a refusal redirected to %q", header.Get("Location"))
			}
			if !strings.Contains(evidence, c.wantCode) {
				t.Errorf("the answer does not carry %s: %.300s", c.wantCode, evidence)
			}
			if scopes, roles := consentOf(t, tenant, appID); len(scopes) != 0 || len(roles) != 0 {
				t.Errorf("a refused consent granted %v and %v", scopes, roles)
			}
		})
	}
}
