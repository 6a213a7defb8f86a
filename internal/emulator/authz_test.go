package emulator_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// TestWritesNeedTheRightRole: a client with only Application.Read.All can
// read but gets 403 Authorization_RequestDenied on writes; OwnedBy may
// change what it created and nothing else.
func TestWritesNeedTheRightRole(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, opCred := operatorCredential(t, srv)
	c := ctx(t)
	operator := graphClient(t, srv, opCred)
	foreign, _ := newAppWithSP(t, operator, "not yours")

	readerID, readerSecret := tenant.AddClient(emulator.RoleApplicationReadAll)
	reader := graphClient(t, srv, secretCredential(t, srv, tenant.ID(), readerID, readerSecret))
	if _, err := reader.Applications().Get(c, nil); err != nil {
		t.Fatalf("reader cannot list: %v", err)
	}
	a := models.NewApplication()
	a.SetDisplayName(ptr("should fail"))
	_, err := reader.Applications().Post(c, a, nil)
	oe := odataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
	if *oe.GetErrorEscaped().GetMessage() != "Insufficient privileges to complete the operation." {
		t.Errorf("403 message: %s", *oe.GetErrorEscaped().GetMessage())
	}
	_, err = reader.Oauth2PermissionGrants().Post(c, models.NewOAuth2PermissionGrant(), nil)
	assertODataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")

	ownerID, ownerSecret := tenant.AddClient(emulator.RoleApplicationReadWriteOwnedBy)
	owner := graphClient(t, srv, secretCredential(t, srv, tenant.ID(), ownerID, ownerSecret))
	mine, err := owner.Applications().Post(c, a, nil)
	if err != nil {
		t.Fatalf("OwnedBy create: %v", err)
	}
	patch := models.NewApplication()
	patch.SetNotes(ptr("changed"))
	if _, err := owner.Applications().ByApplicationId(*mine.GetId()).Patch(c, patch, nil); err != nil {
		t.Errorf("OwnedBy patch of own app: %v", err)
	}
	_, err = owner.Applications().ByApplicationId(foreign).Patch(c, patch, nil)
	assertODataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
}

// TestGraphNeedsABearerToken: no token, or a token for another audience,
// gives 401 InvalidAuthenticationToken with an OData body.
func TestGraphNeedsABearerToken(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant := srv.Tenants()[0]
	for name, header := range map[string]string{
		"none":    "",
		"garbage": "Bearer not-a-jwt",
		"id token audience": "Bearer " + clientSecretTokenFor(t, srv, tenant,
			"00000002-0000-0ff1-ce00-000000000000/.default"),
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, srv.GraphBaseURL()+"/applications", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code       string         `json:"code"`
					InnerError map[string]any `json:"innerError"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusUnauthorized || body.Error.Code != "InvalidAuthenticationToken" ||
				body.Error.InnerError["request-id"] == nil || resp.Header.Get("request-id") == "" {
				t.Errorf("got %d %s", resp.StatusCode, body.Error.Code)
			}
		})
	}
}

// clientSecretTokenFor gets the operator a token for another resource.
func clientSecretTokenFor(t *testing.T, srv *emulator.Server, tenant *emulator.Tenant, scope string) string {
	t.Helper()
	res := postToken(t, srv, tenant.ID(), map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {tenant.OperatorClientID()},
		"client_secret": {tenant.OperatorClientSecret()}, "scope": {scope},
	})
	if res.AccessToken == "" {
		t.Fatalf("token for %s: %s", scope, res.Description)
	}
	return res.AccessToken
}
