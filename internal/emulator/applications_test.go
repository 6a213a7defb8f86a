package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// TestClientSecretCredentialGetsGraphToken proves azidentity (custom
// authority host, instance discovery off) obtains a token, and that it
// carries Entra's app-token claims with the operator's consented roles.
func TestClientSecretCredentialGetsGraphToken(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	claims := claimsOf(t, accessToken(t, cred))

	if claims["aud"] != "https://graph.microsoft.com" {
		t.Errorf("aud = %v", claims["aud"])
	}
	if claims["tid"] != tenant.ID() || claims["iss"] != tenant.Issuer() {
		t.Errorf("tid/iss = %v / %v", claims["tid"], claims["iss"])
	}
	if claims["azp"] != tenant.OperatorClientID() || claims["appid"] != tenant.OperatorClientID() {
		t.Errorf("azp/appid = %v / %v", claims["azp"], claims["appid"])
	}
	sp, ok := tenant.ServicePrincipalByAppID(tenant.OperatorClientID())
	if !ok || claims["oid"] != sp.ID {
		t.Errorf("oid = %v, want operator SP %s", claims["oid"], sp.ID)
	}
	roles := fmt.Sprint(claims["roles"])
	for _, want := range []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"} {
		if !strings.Contains(roles, want) {
			t.Errorf("roles %s lack %s", roles, want)
		}
	}
	if _, has := claims["scp"]; has {
		t.Errorf("app token has scp: %v", claims["scp"])
	}
}

// TestApplicationLifecycleWithSDK drives create, get (by id and appId),
// upsert (201 then 204), patch, filtered list and delete through
// msgraph-sdk-go.
func TestApplicationLifecycleWithSDK(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)

	id, appID := createAndGetApplication(c, t, gc)
	unique := "crm-7f0c2a5e"
	upsertApplication(c, t, gc, tenant, unique)
	patchApplicationWeb(c, t, gc, tenant, id)
	listApplicationsFiltered(c, t, gc, id, appID, unique)

	if err := gc.Applications().ByApplicationId(id).Delete(c, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := gc.Applications().ByApplicationId(id).Get(c, nil)
	oe := odataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	if !strings.Contains(*oe.GetErrorEscaped().GetMessage(), "does not exist or one of its queried reference-property objects are not present") {
		t.Errorf("not-found message: %s", *oe.GetErrorEscaped().GetMessage())
	}

	counts := srv.Counters()
	for op, want := range map[string]int64{"application.create": 1, "application.upsert": 2, "application.patch": 2, "application.delete": 1} {
		if counts.ByOperation[op] != want {
			t.Errorf("counter %s = %d, want %d", op, counts.ByOperation[op], want)
		}
	}
}

// createAndGetApplication creates a web application, reads it back by
// object ID and by appId, and returns both IDs.
func createAndGetApplication(c context.Context, t *testing.T, gc *msgraphsdk.GraphServiceClient) (id, appID string) {
	t.Helper()
	body := models.NewApplication()
	body.SetDisplayName(ptr("CRM one"))
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{"https://crm.example.com/oauth-callback.php"})
	body.SetWeb(web)
	created, err := gc.Applications().Post(c, body, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id, appID = *created.GetId(), *created.GetAppId()
	if created.GetCreatedDateTime() == nil || *created.GetSignInAudience() != "AzureADMyOrg" {
		t.Errorf("created app lacks createdDateTime or default signInAudience")
	}

	byID, err := gc.Applications().ByApplicationId(id).Get(c, nil)
	if err != nil || *byID.GetDisplayName() != "CRM one" || byID.GetWeb().GetRedirectUris()[0] != "https://crm.example.com/oauth-callback.php" {
		t.Fatalf("get by id: %v", err)
	}
	byAppID, err := gc.ApplicationsWithAppId(&appID).Get(c, nil)
	if err != nil || *byAppID.GetId() != id {
		t.Fatalf("get by appId: %v", err)
	}
	return id, appID
}

// upsertApplication: PATCH by uniqueName with Prefer: create-if-missing
// answers 201 with the application, then 204 with no body; without the
// header a missing uniqueName is 404.
func upsertApplication(c context.Context, t *testing.T, gc *msgraphsdk.GraphServiceClient, tenant *emulator.Tenant, unique string) {
	t.Helper()
	h := abs.NewRequestHeaders()
	h.Add("Prefer", "create-if-missing")
	cfg := &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: h}
	up := models.NewApplication()
	up.SetDisplayName(ptr("CRM upserted"))
	first, err := gc.ApplicationsWithUniqueName(&unique).Patch(c, up, cfg)
	if err != nil || first == nil || *first.GetUniqueName() != unique {
		t.Fatalf("upsert create: app=%v err=%v", first, err)
	}
	up2 := models.NewApplication()
	up2.SetDisplayName(ptr("CRM upserted again"))
	second, err := gc.ApplicationsWithUniqueName(&unique).Patch(c, up2, cfg)
	if err != nil || second != nil {
		t.Fatalf("upsert update: want 204 (nil app), got app=%v err=%v", second, err)
	}
	if got, _ := tenant.Application(*first.GetId()); got.DisplayName != "CRM upserted again" {
		t.Errorf("upsert did not update: %q", got.DisplayName)
	}
	missing := "does-not-exist"
	_, err = gc.ApplicationsWithUniqueName(&missing).Patch(c, up2, nil)
	assertODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
}

// patchApplicationWeb: PATCH merges complex properties, so logoutUrl joins
// the existing redirectUris.
func patchApplicationWeb(c context.Context, t *testing.T, gc *msgraphsdk.GraphServiceClient, tenant *emulator.Tenant, id string) {
	t.Helper()
	patch := models.NewApplication()
	pweb := models.NewWebApplication()
	pweb.SetLogoutUrl(ptr("https://crm.example.com/"))
	patch.SetWeb(pweb)
	patch.SetGroupMembershipClaims(ptr("SecurityGroup"))
	if res, err := gc.Applications().ByApplicationId(id).Patch(c, patch, nil); err != nil || res != nil {
		t.Fatalf("patch: res=%v err=%v", res, err)
	}
	after, _ := tenant.Application(id)
	if after.Web.LogoutURL == nil || *after.Web.LogoutURL != "https://crm.example.com/" || len(after.Web.RedirectURIs) != 1 || *after.GroupMembershipClaims != "SecurityGroup" {
		t.Errorf("patch result: %+v", after.Web)
	}
}

// listApplicationsFiltered lists with $filter and $select, and expects an
// unsupported filter property to be refused.
func listApplicationsFiltered(c context.Context, t *testing.T, gc *msgraphsdk.GraphServiceClient, id, appID, unique string) {
	t.Helper()
	list := func(filter string) []models.Applicationable {
		t.Helper()
		res, err := gc.Applications().Get(c, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id", "appId", "displayName"}},
		})
		if err != nil {
			t.Fatalf("list %q: %v", filter, err)
		}
		return res.GetValue()
	}
	if got := list(fmt.Sprintf("appId eq '%s'", appID)); len(got) != 1 || *got[0].GetId() != id || got[0].GetWeb() != nil {
		t.Errorf("filter by appId: %d results (web must be unselected)", len(got))
	}
	if got := list("startswith(displayName,'crm upserted')"); len(got) != 1 {
		t.Errorf("startswith: %d results", len(got))
	}
	if got := list(fmt.Sprintf("uniqueName eq '%s'", unique)); len(got) != 1 {
		t.Errorf("uniqueName filter: %d results", len(got))
	}
	_, err := gc.Applications().Get(c, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: ptr("notes eq 'x'")},
	})
	assertODataError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")
}

// TestApplicationPagingWithNextLink lists with $top and follows the
// absolute @odata.nextLink until every application was seen once.
func TestApplicationPagingWithNextLink(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	for i := range 5 {
		app := models.NewApplication()
		app.SetDisplayName(ptr(fmt.Sprintf("paged-%d", i)))
		if _, err := gc.Applications().Post(c, app, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	pages := 0
	res, err := gc.Applications().Get(c, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Top: ptr(int32(2)), Filter: ptr("startswith(displayName,'paged-')")},
	})
	for {
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, a := range res.GetValue() {
			if seen[*a.GetId()] {
				t.Fatalf("application %s listed twice", *a.GetId())
			}
			seen[*a.GetId()] = true
		}
		next := res.GetOdataNextLink()
		if next == nil {
			break
		}
		if !strings.HasPrefix(*next, srv.GraphBaseURL()+"/applications?") || !strings.Contains(*next, "$skiptoken=") {
			t.Fatalf("nextLink %s", *next)
		}
		res, err = gc.Applications().WithUrl(*next).Get(c, nil)
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("saw %d apps in %d pages, want 5 in 3", len(seen), pages)
	}
}

// TestApplicationValidationErrors shows Graph-shaped 400s naming the
// property, for values Entra refuses.
func TestApplicationValidationErrors(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)

	cases := []struct {
		name     string
		mutate   func(a models.Applicationable)
		property string
	}{
		{"missing displayName", func(a models.Applicationable) { a.SetDisplayName(nil) }, "displayName"},
		{"http redirect", func(a models.Applicationable) {
			w := models.NewWebApplication()
			w.SetRedirectUris([]string{"http://crm.example.com/cb"})
			a.SetWeb(w)
		}, "web.redirectUris"},
		{"long redirect", func(a models.Applicationable) {
			w := models.NewWebApplication()
			w.SetRedirectUris([]string{"https://crm.example.com/" + strings.Repeat("a", 250)})
			a.SetWeb(w)
		}, "web.redirectUris"},
		{"bad audience", func(a models.Applicationable) { a.SetSignInAudience(ptr("Everyone")) }, "signInAudience"},
		{"bad group claims", func(a models.Applicationable) { a.SetGroupMembershipClaims(ptr("Groups")) }, "groupMembershipClaims"},
		{"personal accounts with v1 access tokens", func(a models.Applicationable) {
			a.SetSignInAudience(ptr("AzureADandPersonalMicrosoftAccount"))
		}, "api.requestedAccessTokenVersion"},
		{"unknown property", func(a models.Applicationable) {
			a.SetAdditionalData(map[string]any{"favouriteColour": "blue"})
		}, "favouriteColour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := models.NewApplication()
			a.SetDisplayName(ptr("valid name"))
			tc.mutate(a)
			_, err := gc.Applications().Post(c, a, nil)
			oe := odataError(t, err, http.StatusBadRequest, "Request_BadRequest")
			if msg := *oe.GetErrorEscaped().GetMessage(); !strings.Contains(msg, tc.property) {
				t.Errorf("message %q does not name %s", msg, tc.property)
			}
		})
	}
	// http://localhost is allowed.
	a := models.NewApplication()
	a.SetDisplayName(ptr("local dev"))
	w := models.NewWebApplication()
	w.SetRedirectUris([]string{"http://localhost:8080/callback"})
	a.SetWeb(w)
	if _, err := gc.Applications().Post(c, a, nil); err != nil {
		t.Errorf("localhost redirect refused: %v", err)
	}
	// Personal accounts are accepted with v2 access tokens.
	a = models.NewApplication()
	a.SetDisplayName(ptr("consumer app"))
	a.SetSignInAudience(ptr("PersonalMicrosoftAccount"))
	api := models.NewApiApplication()
	api.SetRequestedAccessTokenVersion(ptr(int32(2)))
	a.SetApi(api)
	if _, err := gc.Applications().Post(c, a, nil); err != nil {
		t.Errorf("personal audience with v2 tokens refused: %v", err)
	}
}
