package controllers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// The permissions of the seed systems (see /work/shared/seeds): 3CX syncs users, contacts and
// calendars and sends mail as itself; OroCRM signs users in and syncs their mailboxes.
var (
	threeCXRoles = []v1.PermissionName{"User.Read.All", "Calendars.Read", "Contacts.Read", "Mail.Send"}
	oroScopes    = []v1.PermissionName{"openid", "profile", "email", "offline_access", "User.Read",
		"IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"}
)

const crmCallback = "https://crm.example.com/oauth-callback.php"

func crmWith(ns, name string, adminConsent bool, perms ...v1.ResourcePermissions) *v1.AppRegistration {
	return &v1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1.AppRegistrationSpec{
			DisplayName:  name,
			Web:          &v1.WebApplication{RedirectURIs: []v1.RedirectURI{crmCallback}, ImplicitGrant: v1.ImplicitGrant{IDTokens: true}},
			Permissions:  perms,
			AdminConsent: adminConsent,
		},
	}
}

func mustPolicy(t *testing.T, rules ...string) permissions.Policy {
	t.Helper()
	p, err := permissions.ParsePolicy(rules...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitCondition waits for a condition of the current generation with this status and reason.
func waitCondition(t *testing.T, key client.ObjectKey, conditionType string, status metav1.ConditionStatus, reason string) *v1.AppRegistration {
	t.Helper()
	var obj *v1.AppRegistration
	waitFor(t, fmt.Sprintf("%s %s=%s %s", key, conditionType, status, reason), func() (bool, string) {
		obj = &v1.AppRegistration{}
		if err := k8sClient.Get(context.Background(), key, obj); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(obj.Status.Conditions, conditionType)
		if c == nil {
			return false, "no condition"
		}
		return c.Status == status && c.Reason == reason && c.ObservedGeneration == obj.Generation,
			fmt.Sprintf("%s %s: %s", c.Status, c.Reason, c.Message)
	})
	return obj
}

func conditionMessage(obj *v1.AppRegistration, conditionType string) string {
	if c := meta.FindStatusCondition(obj.Status.Conditions, conditionType); c != nil {
		return c.Message
	}
	return ""
}

// updateSpec re-reads the object, changes its spec and writes it back.
func updateSpec(t *testing.T, key client.ObjectKey, change func(*v1.AppRegistrationSpec)) {
	t.Helper()
	obj := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	change(&obj.Spec)
	if err := k8sClient.Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// graphAPI calls the emulator's Graph API as the seeded operator application (which holds
// Application.ReadWrite.All and AppRoleAssignment.ReadWrite.All), for what a test does behind the
// operator's back: add a client secret, assign a role by hand.
func graphAPI(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.HTTPClient())
	cc := clientcredentials.Config{ClientID: tenant.OperatorClientID(), ClientSecret: tenant.OperatorClientSecret(),
		TokenURL: tenant.Endpoints().Token, Scopes: []string{"https://graph.microsoft.com/.default"}, AuthStyle: oauth2.AuthStyleInParams}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.GraphBaseURL()+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := cc.Client(ctx).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	out := map[string]any{}
	_ = json.Unmarshal(data, &out)
	return out
}

// addClientSecret gives the application a client secret through Graph, as an administrator would
// in the portal, and returns it: consent is proven by tokens, and tokens need a credential.
func addClientSecret(t *testing.T, objectID string) string {
	t.Helper()
	res := graphAPI(t, http.MethodPost, "/applications/"+objectID+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "consent test"}})
	secret, _ := res["secretText"].(string)
	if secret == "" {
		t.Fatal("addPassword returned no secretText")
	}
	return secret
}

// tokenClaims decodes an access token's payload (the emulator's signatures are verified in its own
// tests).
func tokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// appRoles gets a client-credentials token for Microsoft Graph and returns its roles, sorted.
func appRoles(t *testing.T, appID, secret string) []string {
	t.Helper()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.HTTPClient())
	cc := clientcredentials.Config{ClientID: appID, ClientSecret: secret, TokenURL: tenant.Endpoints().Token,
		Scopes: []string{"https://graph.microsoft.com/.default"}, AuthStyle: oauth2.AuthStyleInParams}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials token: %v", err)
	}
	var roles []string
	list, _ := tokenClaims(t, tok.AccessToken)["roles"].([]any)
	for _, r := range list {
		roles = append(roles, fmt.Sprint(r))
	}
	slices.Sort(roles)
	return roles
}

// userScopes signs a seeded user in with the authorization code flow, as the CRM would, asking for
// the given scopes, and returns the scp of the access token.
func userScopes(t *testing.T, appID, secret string, scopes []v1.PermissionName) []string {
	t.Helper()
	conf := &oauth2.Config{
		ClientID: appID, ClientSecret: secret, RedirectURL: crmCallback,
		Endpoint: oauth2.Endpoint{AuthURL: tenant.Endpoints().Authorization, TokenURL: tenant.Endpoints().Token, AuthStyle: oauth2.AuthStyleInParams},
	}
	for _, s := range scopes {
		conf.Scopes = append(conf.Scopes, string(s))
	}
	verifier := oauth2.GenerateVerifier()
	user := tenant.Users()[1]
	location := noRedirectGet(t, conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", user.UserPrincipalName)), http.StatusFound)
	code := location.Query().Get("code")
	if code == "" || location.Query().Get("state") != "state-1" {
		t.Fatalf("authorize redirected to %s", location)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.HTTPClient())
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	scp, _ := tokenClaims(t, tok.AccessToken)["scp"].(string)
	return strings.Fields(scp)
}

// noRedirectGet GETs rawURL as a browser would and returns where it is sent, failing unless the
// answer has the wanted status.
func noRedirectGet(t *testing.T, rawURL string, want int) *url.URL {
	t.Helper()
	hc := srv.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %.300s", rawURL, res.StatusCode, want, body)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc == nil {
		loc = &url.URL{}
	}
	if want != http.StatusFound {
		loc.Fragment = string(body) // callers look for the refusal's code in the page
	}
	return loc
}

// consentOnSP is the tenant-wide consent of the service principal spID: its grants' scopes per
// resource SP and its roles per resource SP, as the emulator holds them.
func consentOnSP(spID string) (grants map[string][]string, roles []string) {
	grants = map[string][]string{}
	for _, g := range tenant.OAuth2PermissionGrants() {
		if g.ClientID == spID && g.ConsentType == "AllPrincipals" {
			grants[g.ResourceID] = append(grants[g.ResourceID], g.Scope)
		}
	}
	graph, _ := tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	for _, a := range tenant.AppRoleAssignments() {
		if a.PrincipalID != spID {
			continue
		}
		for _, r := range graph.AppRoles {
			if r.ID == a.AppRoleID && a.ResourceID == graph.ID {
				roles = append(roles, r.Value)
			}
		}
	}
	slices.Sort(roles)
	return grants, roles
}

// declared lists what the application's requiredResourceAccess declares on Microsoft Graph,
// as "Role:value" and "Scope:value", sorted.
func declared(t *testing.T, objectID string) []string {
	t.Helper()
	app, ok := tenant.Application(objectID)
	if !ok {
		t.Fatalf("application %s is gone", objectID)
	}
	graph, _ := tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	var out []string
	for _, rra := range app.RequiredResourceAccess {
		if rra.ResourceAppID != emulator.MicrosoftGraphAppID {
			out = append(out, "other:"+rra.ResourceAppID)
			continue
		}
		for _, a := range rra.ResourceAccess {
			for _, s := range graph.OAuth2PermissionScopes {
				if a.Type == "Scope" && s.ID == a.ID {
					out = append(out, "Scope:"+s.Value)
				}
			}
			for _, r := range graph.AppRoles {
				if a.Type == "Role" && r.ID == a.ID {
					out = append(out, "Role:"+r.Value)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func names(prefix string, list []v1.PermissionName) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		out = append(out, prefix+string(n))
	}
	slices.Sort(out)
	return out
}

func strs(list []v1.PermissionName) []string { return names("", list) }

func TestThreeCXApplicationPermissionsReachTheToken(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentGrant,
		consentPolicy: mustPolicy(t, "MicrosoftGraph:application:User.Read.All,MicrosoftGraph:application:Calendars.Read",
			"MicrosoftGraph:application:Contacts.Read,MicrosoftGraph:application:Mail.Send")})
	ns := newNamespace(t)
	in := crmWith(ns, "threecx", true, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Application: threeCXRoles})
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	waitCondition(t, key, v1.ConditionConsentGranted, metav1.ConditionTrue, v1.ReasonSynced)
	obj := waitReady(t, key)

	if got, want := declared(t, obj.Status.ObjectID), names("Role:", threeCXRoles); !slices.Equal(got, want) {
		t.Errorf("requiredResourceAccess = %v, want %v", got, want)
	}
	secret := addClientSecret(t, obj.Status.ObjectID)
	if got, want := appRoles(t, obj.Status.AppID, secret), strs(threeCXRoles); !slices.Equal(got, want) {
		t.Errorf("the client-credentials token carries roles %v, want exactly %v", got, want)
	}
	if c := obj.Status.Consent; c == nil || c.AdminConsentURL != "" || len(c.Granted) != 1 || !slices.Equal(c.Granted[0].Application, threeCXRoles) {
		t.Errorf("status.consent = %+v, want the four roles granted and no URL", c)
	}

	// An administrator assigns a role by hand that the spec never declared: not the operator's.
	graphSP, _ := tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	graphAPI(t, http.MethodPost, "/servicePrincipals/"+graphSP.ID+"/appRoleAssignedTo", map[string]any{
		"principalId": obj.Status.ServicePrincipalID, "resourceId": graphSP.ID, "appRoleId": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", // Application.Read.All
	})

	// Mail.Send leaves the spec: it leaves requiredResourceAccess, the assignments and the next token.
	updateSpec(t, key, func(s *v1.AppRegistrationSpec) { s.Permissions[0].Application = threeCXRoles[:3] })
	waitFor(t, "Mail.Send to be revoked", func() (bool, string) {
		_, roles := consentOnSP(obj.Status.ServicePrincipalID)
		return !slices.Contains(roles, "Mail.Send"), fmt.Sprint(roles)
	})
	obj = waitReady(t, key)
	if got, want := declared(t, obj.Status.ObjectID), names("Role:", threeCXRoles[:3]); !slices.Equal(got, want) {
		t.Errorf("requiredResourceAccess after the removal = %v, want %v", got, want)
	}
	want := append(strs(threeCXRoles[:3]), "Application.Read.All")
	slices.Sort(want)
	if got := appRoles(t, obj.Status.AppID, secret); !slices.Equal(got, want) {
		t.Errorf("after the removal the token carries %v, want %v (the hand-made assignment kept)", got, want)
	}
	waitForEvent(t, obj, "ConsentRevoked", "no longer declared")
}

func TestOroCRMDelegatedScopesReachTheAuthorizationCodeToken(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentGrant, consentPolicy: mustPolicy(t, "MicrosoftGraph:delegated:*")})
	ns := newNamespace(t)
	in := crmWith(ns, "orocrm", true, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: oroScopes})
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	obj := waitCondition(t, key, v1.ConditionConsentGranted, metav1.ConditionTrue, v1.ReasonSynced)
	grants, _ := consentOnSP(obj.Status.ServicePrincipalID)
	graphSP, _ := tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	if len(grants) != 1 || len(grants[graphSP.ID]) != 1 || grants[graphSP.ID][0] != "openid profile email offline_access User.Read IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send" {
		t.Fatalf("grants = %v, want one tenant-wide Graph grant of exactly the declared scopes", grants)
	}
	secret := addClientSecret(t, obj.Status.ObjectID)
	if got := userScopes(t, obj.Status.AppID, secret, oroScopes); !slices.Equal(sorted(got), strs(oroScopes)) {
		t.Errorf("scp = %v, want the declared scopes %v", got, oroScopes)
	}

	// SMTP.Send leaves the spec: it leaves requiredResourceAccess, the grant and the next token.
	updateSpec(t, key, func(s *v1.AppRegistrationSpec) { s.Permissions[0].Delegated = oroScopes[:7] })
	waitFor(t, "SMTP.Send to leave the grant", func() (bool, string) {
		grants, _ := consentOnSP(obj.Status.ServicePrincipalID)
		return len(grants[graphSP.ID]) == 1 && !strings.Contains(grants[graphSP.ID][0], "SMTP.Send"), fmt.Sprint(grants)
	})
	obj = waitReady(t, key)
	if got, want := declared(t, obj.Status.ObjectID), names("Scope:", oroScopes[:7]); !slices.Equal(got, want) {
		t.Errorf("requiredResourceAccess after the removal = %v, want %v", got, want)
	}
	got := userScopes(t, obj.Status.AppID, secret, oroScopes)
	if slices.Contains(got, "SMTP.Send") || !slices.Equal(sorted(got), strs(oroScopes[:7])) {
		t.Errorf("after the removal scp = %v, want %v without SMTP.Send", got, oroScopes[:7])
	}

	// No permissions at all: the grant goes, and so does every scope from the next token.
	updateSpec(t, key, func(s *v1.AppRegistrationSpec) { s.Permissions = nil })
	waitFor(t, "the grant to be deleted", func() (bool, string) {
		grants, _ := consentOnSP(obj.Status.ServicePrincipalID)
		return len(grants) == 0, fmt.Sprint(grants)
	})
	obj = waitReady(t, key)
	if got := declared(t, obj.Status.ObjectID); len(got) != 0 || obj.Status.Consent != nil {
		t.Errorf("without permissions: requiredResourceAccess %v, status.consent %+v", got, obj.Status.Consent)
	}
	if got := userScopes(t, obj.Status.AppID, secret, oroScopes); len(got) != 0 {
		t.Errorf("without permissions scp = %v", got)
	}
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

func TestAnUnknownPermissionIsNamedAndNothingIsWritten(t *testing.T) {
	startManager(t, managerOptions{})
	ns := newNamespace(t)
	in := crmWith(ns, "typo", false, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "User.Read"}})
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	obj := waitReady(t, key)
	before, _ := tenant.Application(obj.Status.ObjectID)
	waitIdle(t)
	srv.ResetCounters()

	updateSpec(t, key, func(s *v1.AppRegistrationSpec) {
		s.DisplayName = "renamed along with a typo"
		s.Permissions[0].Delegated = append(s.Permissions[0].Delegated, "Mail.Sendd")
		s.Permissions = append(s.Permissions, v1.ResourcePermissions{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"SMTP.SendAsApp", "SMTP.SendAsApps"}})
	})
	obj = waitCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonUnknownPermission)
	msg := conditionMessage(obj, v1.ConditionReady)
	for _, want := range []string{`MicrosoftGraph has no delegated permission "Mail.Sendd"`, `ExchangeOnline has no application permission "SMTP.SendAsApps"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, `"SMTP.SendAsApp"`) || strings.Contains(msg, `"User.Read"`) {
		t.Errorf("Ready message names permissions that exist: %q", msg)
	}
	if c := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionPermissionsResolved); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("PermissionsResolved = %+v, want False", c)
	}
	waitIdle(t)
	after, _ := tenant.Application(obj.Status.ObjectID)
	if c := srv.Counters(); c.Writes != 0 || after.DisplayName != before.DisplayName ||
		fmt.Sprint(after.RequiredResourceAccess) != fmt.Sprint(before.RequiredResourceAccess) {
		t.Errorf("the application changed: %d writes (%v), name %q, requiredResourceAccess %v",
			c.Writes, c.ByOperation, after.DisplayName, after.RequiredResourceAccess)
	}

	// Fixing the spec applies everything at once.
	updateSpec(t, key, func(s *v1.AppRegistrationSpec) {
		s.Permissions[0].Delegated = s.Permissions[0].Delegated[:2]
		s.Permissions[1].Application = s.Permissions[1].Application[:1]
	})
	obj = waitReady(t, key)
	app, _ := tenant.Application(obj.Status.ObjectID)
	if app.DisplayName != "renamed along with a typo" || len(app.RequiredResourceAccess) != 2 {
		t.Errorf("after the fix: name %q, requiredResourceAccess %v", app.DisplayName, app.RequiredResourceAccess)
	}
}

func TestConsentOutsideTheAllowListIsRefusedAndNothingIsGranted(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentGrant, consentPolicy: mustPolicy(t, "MicrosoftGraph:application:User.Read.All")})
	ns := newNamespace(t)
	// A namespace user asks for a permission that makes the application a tenant-wide app admin.
	in := crmWith(ns, "greedy", true, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph,
		Application: []v1.PermissionName{"User.Read.All", "Application.ReadWrite.All"}})
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	obj := waitCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonConsentNotAllowed)
	msg := conditionMessage(obj, v1.ConditionConsentGranted)
	if !strings.Contains(msg, "MicrosoftGraph application permission Application.ReadWrite.All") ||
		strings.Contains(msg, "User.Read.All,") || !strings.Contains(msg, "--consent-allow=MicrosoftGraph:application:Application.ReadWrite.All") {
		t.Errorf("ConsentGranted message = %q, want it to name the refused permission and how to allow it", msg)
	}
	waitIdle(t)
	if grants, roles := consentOnSP(obj.Status.ServicePrincipalID); len(grants) != 0 || len(roles) != 0 {
		t.Errorf("a refused consent granted %v and %v", grants, roles)
	}
	if c := obj.Status.Consent; c == nil || !strings.Contains(c.AdminConsentURL, "/v2.0/adminconsent?") {
		t.Errorf("status.consent = %+v, want the URL for an administrator", c)
	}
	if keys, err := secretKeys(obj); err != nil || keys == 0 {
		t.Errorf("the Secret was not written despite the refusal: %v", err)
	}
	waitForEvent(t, obj, v1.ReasonConsentNotAllowed, "Application.ReadWrite.All")
}

// secretKeys counts the keys of the object's Secret.
func secretKeys(obj *v1.AppRegistration) (int, error) {
	secret := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: obj.Namespace, Name: obj.SecretName()}, secret); err != nil {
		return 0, err
	}
	return len(secret.Data), nil
}
