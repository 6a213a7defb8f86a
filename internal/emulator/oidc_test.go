package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"golang.org/x/oauth2"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

const crmRedirect = "https://crm.example.com/oauth-callback.php"

// crmApp registers a web app like the operator would for a CRM: redirect
// URI, logout URL, a secret, a service principal and admin consent for the
// given delegated scopes on Microsoft Graph.
func crmApp(t *testing.T, gc *msgraphsdk.GraphServiceClient, tenant *emulator.Tenant, granted string) (appID, secret string) {
	t.Helper()
	c := ctx(t)
	a := models.NewApplication()
	a.SetDisplayName(ptr("EspoCRM"))
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{crmRedirect})
	web.SetLogoutUrl(ptr("https://crm.example.com/"))
	a.SetWeb(web)
	created, err := gc.Applications().Post(c, a, nil)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	sp := models.NewServicePrincipal()
	sp.SetAppId(created.GetAppId())
	createdSP, err := gc.ServicePrincipals().Post(c, sp, nil)
	if err != nil {
		t.Fatalf("create SP: %v", err)
	}
	grant := models.NewOAuth2PermissionGrant()
	grant.SetClientId(createdSP.GetId())
	grant.SetConsentType(ptr("AllPrincipals"))
	grant.SetResourceId(ptr(tenant.GraphServicePrincipalID()))
	grant.SetScope(&granted)
	if _, err := gc.Oauth2PermissionGrants().Post(c, grant, nil); err != nil {
		t.Fatalf("grant: %v", err)
	}
	secret = *addPassword(t, gc, *created.GetId(), nil).GetSecretText()
	return *created.GetAppId(), secret
}

// noRedirects is a client that shows the authorize endpoint's 302.
func noRedirects(srv *emulator.Server) *http.Client {
	c := srv.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// getNoRedirect GETs rawURL without following redirects and returns the
// status, headers and body of the response.
func getNoRedirect(t *testing.T, srv *emulator.Server, rawURL string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirects(srv).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", rawURL, err)
	}
	return resp.StatusCode, resp.Header, body
}

// TestAuthorizationCodeFlowWithOIDC: golang.org/x/oauth2 completes the
// authorization code flow (PKCE) with a registered redirect URI; go-oidc
// verifies the ID token against the JWKS; scp holds only granted scopes;
// the refresh token works until the secret is removed; an unregistered
// redirect URI is refused without redirecting; logout redirects only to a
// registered URI.
func TestAuthorizationCodeFlowWithOIDC(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	appID, secret := crmApp(t, gc, tenant, "openid profile email offline_access User.Read")
	user := tenant.Users()[1]
	ep := tenant.Endpoints()

	conf := &oauth2.Config{
		ClientID: appID, ClientSecret: secret, RedirectURL: crmRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: ep.Authorization, TokenURL: ep.Token, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"openid", "profile", "email", "offline_access", "User.Read", "Mail.Send"},
	}
	verifier := oauth2.GenerateVerifier()
	nonce := uuid.NewString()
	authURL := conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce), oauth2.SetAuthURLParam("login_hint", user.UserPrincipalName))
	code := authorizeCode(t, srv, authURL, "state-123")

	hc := srv.HTTPClient()
	c := context.WithValue(oidc.ClientContext(ctx(t), hc), oauth2.HTTPClient, hc)
	tok, err := conf.Exchange(c, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if _, err := conf.Exchange(c, code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "AADSTS54005") {
		t.Errorf("second redemption of a code: %v", err)
	}

	rawID, _ := tok.Extra("id_token").(string)
	checkIDToken(c, t, tenant, appID, rawID, user, nonce)

	scp := fmt.Sprint(claimsOf(t, tok.AccessToken)["scp"])
	if !strings.Contains(scp, "User.Read") || strings.Contains(scp, "Mail.Send") {
		t.Errorf("scp = %q: want granted User.Read, not ungranted Mail.Send", scp)
	}

	checkRefreshUntilSecretRemoved(c, t, gc, tenant, conf, tok.RefreshToken)
	checkUnregisteredRedirectRefused(t, srv, conf)
	checkLogoutRedirects(t, srv, ep.Logout, appID)
}

// authorizeCode calls the authorize endpoint and returns the code from its
// redirect to crmRedirect, which must carry wantState.
func authorizeCode(t *testing.T, srv *emulator.Server, authURL, wantState string) string {
	t.Helper()
	status, header, _ := getNoRedirect(t, srv, authURL)
	if status != http.StatusFound {
		t.Fatalf("authorize: status %d", status)
	}
	loc, err := url.Parse(header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), crmRedirect+"?") || loc.Query().Get("state") != wantState {
		t.Fatalf("authorize redirect: %v", header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// checkIDToken verifies the ID token with go-oidc against the tenant's
// discovery document and checks its user claims; a verifier for another
// client must refuse it.
func checkIDToken(c context.Context, t *testing.T, tenant *emulator.Tenant, appID, rawID string, user emulator.User, nonce string) {
	t.Helper()
	provider, err := oidc.NewProvider(c, tenant.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: appID}).Verify(c, rawID)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var idClaims struct {
		Email, PreferredUsername, Name, Oid, Tid, Nonce string
	}
	if err := idt.Claims(&struct {
		Email             *string `json:"email"`
		PreferredUsername *string `json:"preferred_username"`
		Name              *string `json:"name"`
		Oid               *string `json:"oid"`
		Tid               *string `json:"tid"`
		Nonce             *string `json:"nonce"`
	}{&idClaims.Email, &idClaims.PreferredUsername, &idClaims.Name, &idClaims.Oid, &idClaims.Tid, &idClaims.Nonce}); err != nil {
		t.Fatal(err)
	}
	if idClaims.Email != user.Mail || idClaims.PreferredUsername != user.UserPrincipalName || idClaims.Oid != user.ID ||
		idClaims.Tid != tenant.ID() || idClaims.Nonce != nonce || idClaims.Name != user.DisplayName {
		t.Errorf("ID token claims: %+v", idClaims)
	}
	// A token issued for another client does not verify.
	if _, err := provider.Verifier(&oidc.Config{ClientID: uuid.NewString()}).Verify(c, rawID); err == nil {
		t.Error("ID token verified for the wrong audience")
	}
}

// checkRefreshUntilSecretRemoved: the refresh token works while the
// client's secret is valid and stops working once it is removed.
func checkRefreshUntilSecretRemoved(c context.Context, t *testing.T, gc *msgraphsdk.GraphServiceClient, tenant *emulator.Tenant,
	conf *oauth2.Config, refreshToken string) {
	t.Helper()
	refreshed, err := conf.TokenSource(c, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil || refreshed.AccessToken == "" {
		t.Fatalf("refresh: %v", err)
	}
	app, _ := tenant.ApplicationByAppID(conf.ClientID)
	rm := applications.NewItemRemovePasswordPostRequestBody()
	keyID := uuid.MustParse(app.PasswordCredentials[0].KeyID)
	rm.SetKeyId(&keyID)
	if err := gc.Applications().ByApplicationId(app.ID).RemovePassword().Post(ctx(t), rm, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.TokenSource(c, &oauth2.Token{RefreshToken: refreshToken}).Token(); err == nil {
		t.Error("refresh succeeded after the secret was removed")
	}
}

// checkUnregisteredRedirectRefused: an unregistered redirect URI gets an
// error page, never a redirect.
func checkUnregisteredRedirectRefused(t *testing.T, srv *emulator.Server, conf *oauth2.Config) {
	t.Helper()
	evil := *conf
	evil.RedirectURL = "https://evil.example.com/callback"
	status, header, page := getNoRedirect(t, srv, evil.AuthCodeURL("s"))
	if status != http.StatusBadRequest || header.Get("Location") != "" || !strings.Contains(string(page), "AADSTS50011") {
		t.Errorf("unregistered redirect: %d location=%q", status, header.Get("Location"))
	}
}

// checkLogoutRedirects: logout redirects to a registered URL only.
func checkLogoutRedirects(t *testing.T, srv *emulator.Server, logoutURL, appID string) {
	t.Helper()
	logout := func(target string) (int, http.Header) {
		status, header, _ := getNoRedirect(t, srv, logoutURL+"?"+url.Values{"post_logout_redirect_uri": {target}, "client_id": {appID}}.Encode())
		return status, header
	}
	if status, h := logout("https://crm.example.com/"); status != http.StatusFound || h.Get("Location") != "https://crm.example.com/" {
		t.Errorf("logout to registered URL: %d %q", status, h.Get("Location"))
	}
	if status, h := logout("https://evil.example.com/"); status != http.StatusOK || h.Get("Location") != "" {
		t.Errorf("logout to unregistered URL: %d %q", status, h.Get("Location"))
	}
}

// TestRolesOnlyForConsentedAppRoles: an app declaring Graph roles gets a
// roles claim only for those assigned through appRoleAssignedTo.
func TestRolesOnlyForConsentedAppRoles(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	objectID, appID := newAppWithSP(t, gc, "daemon")
	secret := *addPassword(t, gc, objectID, nil).GetSecretText()

	if claims := claimsOf(t, clientSecretToken(t, srv, tenant.ID(), appID, secret).AccessToken); claims["roles"] != nil {
		t.Fatalf("roles before consent: %v", claims["roles"])
	}
	clientSP, _ := tenant.ServicePrincipalByAppID(appID)
	graphSP, err := gc.ServicePrincipalsWithAppId(ptr(emulator.MicrosoftGraphAppID)).Get(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	var userReadAll *uuid.UUID
	for _, r := range graphSP.GetAppRoles() {
		if *r.GetValue() == "User.Read.All" {
			userReadAll = r.GetId()
		}
	}
	if userReadAll == nil || userReadAll.String() != "df021288-bdef-4463-88db-98f22de89214" {
		t.Fatalf("Graph SP lacks User.Read.All with its real ID: %v", userReadAll)
	}
	assignment := models.NewAppRoleAssignment()
	principal := uuid.MustParse(clientSP.ID)
	resource := uuid.MustParse(*graphSP.GetId())
	assignment.SetPrincipalId(&principal)
	assignment.SetResourceId(&resource)
	assignment.SetAppRoleId(userReadAll)
	if _, err := gc.ServicePrincipals().ByServicePrincipalId(*graphSP.GetId()).AppRoleAssignedTo().Post(c, assignment, nil); err != nil {
		t.Fatalf("assign: %v", err)
	}
	_, err = gc.ServicePrincipals().ByServicePrincipalId(*graphSP.GetId()).AppRoleAssignedTo().Post(c, assignment, nil)
	assertODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

	roles, _ := claimsOf(t, clientSecretToken(t, srv, tenant.ID(), appID, secret).AccessToken)["roles"].([]any)
	if len(roles) != 1 || roles[0] != "User.Read.All" {
		t.Errorf("roles after consent = %v", roles)
	}
	listed, err := gc.ServicePrincipals().ByServicePrincipalId(clientSP.ID).AppRoleAssignments().Get(c, nil)
	if err != nil || len(listed.GetValue()) != 1 {
		t.Fatalf("appRoleAssignments: %v", err)
	}
	if err := gc.ServicePrincipals().ByServicePrincipalId(*graphSP.GetId()).AppRoleAssignedTo().
		ByAppRoleAssignmentId(*listed.GetValue()[0].GetId()).Delete(c, nil); err != nil {
		t.Fatalf("delete assignment: %v", err)
	}
	if claims := claimsOf(t, clientSecretToken(t, srv, tenant.ID(), appID, secret).AccessToken); claims["roles"] != nil {
		t.Errorf("roles after revoking: %v", claims["roles"])
	}
	if slices.ContainsFunc(tenant.AppRoleAssignments(), func(a emulator.AppRoleAssignment) bool { return a.PrincipalID == clientSP.ID }) {
		t.Error("assignment still stored")
	}
}

// TestMailProtocolScopesConsentedOnGraphReachExchangeTokens: a mail client asks Exchange Online
// for https://outlook.office.com/SMTP.Send with offline_access; consent to Microsoft Graph's
// SMTP.Send (as the portal lists it) puts SMTP.Send in the token's scp, and the refresh token keeps
// it. A mail permission that was not consented, and Graph scopes that are not mail protocols, do not
// reach an Exchange token.
func TestMailProtocolScopesConsentedOnGraphReachExchangeTokens(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	appID, secret := crmApp(t, gc, tenant, "offline_access SMTP.Send User.Read")
	ep := tenant.Endpoints()
	conf := &oauth2.Config{
		ClientID: appID, ClientSecret: secret, RedirectURL: crmRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: ep.Authorization, TokenURL: ep.Token, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"https://outlook.office.com/SMTP.Send", "https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/User.Read", "offline_access"},
	}
	code := authorizeCode(t, srv, conf.AuthCodeURL("s"), "s")
	c := context.WithValue(ctx(t), oauth2.HTTPClient, srv.HTTPClient())
	tok, err := conf.Exchange(c, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	refreshed, err := conf.TokenSource(c, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	for name, access := range map[string]string{"code": tok.AccessToken, "refresh": refreshed.AccessToken} {
		claims := claimsOf(t, access)
		if scp := fmt.Sprint(claims["scp"]); scp != "SMTP.Send" {
			t.Errorf("%s token: scp = %q, want SMTP.Send alone", name, scp)
		}
		if aud := fmt.Sprint(claims["aud"]); aud != "https://outlook.office365.com" {
			t.Errorf("%s token: aud = %q, want Exchange Online", name, aud)
		}
	}
}
