package msgraph

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

func TestClientOptionsAreTheSDKs(t *testing.T) {
	if got, want := defaultClientOptions(), msgraphsdk.GetDefaultClientOptions(); got != want {
		t.Fatalf("client options %+v, msgraph-sdk-go's %+v: update sdkVersion to go.mod's msgraph-sdk-go", got, want)
	}
}

// recordedRequest is what Graph sees of one request, less what differs on every request.
type recordedRequest struct {
	Method, URI string
	// Body is the JSON body decoded: Graph does not care about the order of properties, and the
	// client writes explicit nulls from a map.
	Body   any
	Header http.Header
}

// sendEverything calls every Graph operation of the client once against a server that answers each
// with 200 and an empty JSON object, and returns the requests in order.
func sendEverything(t *testing.T, api func(abstractions.RequestAdapter) graphAPI) []recordedRequest {
	t.Helper()
	var mu sync.Mutex
	var out []recordedRequest
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				body = "not JSON: " + string(raw)
			}
		}
		h := r.Header.Clone()
		for _, k := range []string{"Client-Request-Id", "Traceparent", "Content-Length"} {
			h.Del(k)
		}
		mu.Lock()
		out = append(out, recordedRequest{Method: r.Method, URI: r.RequestURI, Body: body, Header: h})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	c, err := cloud.Public.WithOverrides("", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client, err := newClient(Options{Cloud: c, TenantID: "tenant", Credential: staticToken{},
		Transport: srv.Client().Transport, RequestTimeout: 10 * time.Second}, api)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app := graph.Application{ObjectID: "obj-1", AppID: "app-1", UniqueName: "ns-name", DisplayName: "display",
		SignInAudience: "AzureADMyOrg", SPARedirectURIs: []string{"https://a.example/cb"}, IsFallbackPublicClient: true}
	end := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	key := graph.KeyCredential{KeyID: "00000000-0000-0000-0000-000000000001", DisplayName: "cert",
		Type: graph.KeyTypeX509Certificate, Usage: graph.KeyUsageVerify, Start: end.Add(-time.Hour), End: end, Key: []byte{1, 2, 3}}
	fc := graph.FederatedCredential{ID: "fc-1", Name: "fc", Issuer: "https://issuer.example", Subject: "sub",
		Audiences: []string{"api://AzureADTokenExchange"}, Description: "d"}
	// Errors are expected (the answers are empty); only the requests matter here.
	_, _ = client.GetApplication(ctx, app.UniqueName)
	_, _, _ = client.UpsertApplication(ctx, app.UniqueName, app)
	_ = client.UpdateApplication(ctx, app.UniqueName, app, graph.ManagedFields)
	_ = client.DeleteApplication(ctx, app.UniqueName)
	_, _ = client.GetApplicationByAppID(ctx, app.AppID)
	_ = client.UpdateApplicationByAppID(ctx, app.AppID, app, []graph.Field{graph.FieldDisplayName})
	_ = client.DeleteApplicationByAppID(ctx, app.AppID)
	_, _ = client.GetResource(ctx, "resource-app")
	_, _ = client.ListDelegatedGrants(ctx, "client-sp")
	_, _ = client.CreateDelegatedGrant(ctx, app.UniqueName, graph.DelegatedGrant{ClientID: "client-sp", ResourceID: "res-sp", Scopes: []string{"User.Read", "openid"}})
	_ = client.UpdateDelegatedGrant(ctx, app.UniqueName, "grant-1", []string{"User.Read"})
	_ = client.DeleteDelegatedGrant(ctx, app.UniqueName, "grant-1")
	_, _ = client.ListAppRoleAssignments(ctx, "client-sp")
	_, _ = client.AssignAppRole(ctx, app.UniqueName, graph.AppRoleAssignment{PrincipalID: "00000000-0000-0000-0000-000000000004", ResourceID: "00000000-0000-0000-0000-000000000005", AppRoleID: "00000000-0000-0000-0000-000000000002"})
	_ = client.RemoveAppRoleAssignment(ctx, app.UniqueName, graph.AppRoleAssignment{ID: "ara-1", PrincipalID: "client-sp"})
	_, _, _ = client.AddPassword(ctx, app, "secret", end)
	_ = client.RemovePassword(ctx, app, "00000000-0000-0000-0000-000000000003")
	_, _ = client.AddKey(ctx, app, key, "proof")
	_ = client.RemoveKey(ctx, app, key.KeyID, "proof")
	_ = client.ReplaceKeyCredentials(ctx, app, []graph.KeyCredential{key})
	_, _ = client.ApplicationDelta(ctx, "")
	_, _ = client.ApplicationDelta(ctx, srv.URL+"/v1.0/applications/delta()?$deltatoken=t1")
	_, _ = client.ServicePrincipalDelta(ctx, "")
	_, _ = client.ListFederatedCredentials(ctx, app)
	_, _ = client.CreateFederatedCredential(ctx, app, fc)
	_ = client.UpdateFederatedCredential(ctx, app, fc)
	_ = client.DeleteFederatedCredential(ctx, app, fc.ID)
	_, _ = client.GetServicePrincipal(ctx, app.AppID)
	_, _ = client.CreateServicePrincipal(ctx, app)
	mu.Lock()
	defer mu.Unlock()
	return out
}

// The client builds its requests with the SDK's sub-packages, not with the root package's
// GraphServiceClient (which links all of Graph into the binary): Graph must see the same requests.
func TestRequestsAreTheSDKClients(t *testing.T) {
	ours := sendEverything(t, func(a abstractions.RequestAdapter) graphAPI { return newGraphSDK(a) })
	sdks := sendEverything(t, func(a abstractions.RequestAdapter) graphAPI { return msgraphsdk.NewGraphServiceClient(a) })
	if len(ours) < 29 {
		t.Fatalf("only %d requests sent", len(ours))
	}
	if len(ours) != len(sdks) {
		t.Fatalf("%d requests, the SDK client sent %d", len(ours), len(sdks))
	}
	for i := range ours {
		if !reflect.DeepEqual(ours[i], sdks[i]) {
			t.Errorf("request %d:\n ours %s\n sdk's %s", i, describe(ours[i]), describe(sdks[i]))
		}
	}
	for _, r := range ours {
		if r.Header.Get("SdkVersion") == "" || !strings.HasPrefix(r.URI, "/v1.0/") {
			t.Errorf("request %s %s: SdkVersion %q", r.Method, r.URI, r.Header.Get("SdkVersion"))
		}
	}
}

func describe(r recordedRequest) string {
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k+"="+strings.Join(r.Header[k], ","))
	}
	sort.Strings(keys)
	body, _ := json.Marshal(r.Body)
	return r.Method + " " + r.URI + " " + string(body) + " " + strings.Join(keys, " ")
}
