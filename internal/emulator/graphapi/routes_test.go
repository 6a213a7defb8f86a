package graphapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // x5t is SHA-1 by definition
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/graphapi"
)

// The permissions Graph's reference documents for each operation. This list is written apart
// from the route table on purpose: the test holds the table to it.
var (
	readApplications  = []string{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All"}
	writeApplications = []string{"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
	readAssignments   = []string{"AppRoleAssignment.ReadWrite.All", "Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All"}
	writeAssignments  = []string{"AppRoleAssignment.ReadWrite.All"}
	readGrants        = []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Application.Read.All", "Application.ReadWrite.All"}
	writeGrants       = []string{"DelegatedPermissionGrant.ReadWrite.All"}
	readUsers         = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}
	readPolicies      = []string{"Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"}
	writeAppPolicies  = []string{"Policy.ReadWrite.ApplicationConfiguration"}
)

// permission is what one operation requires, and a request that performs it on a fixture.
type permission struct {
	roles []string
	// ownedOnly: Application.ReadWrite.OwnedBy admits the caller only to objects it owns.
	ownedOnly bool
	// self: the application may call it on itself with no role.
	self    bool
	request func(f *fixture) graphRequest
}

type graphRequest struct {
	method, path, body string
	header             http.Header
}

func req(method, path, body string) graphRequest {
	return graphRequest{method: method, path: path, body: body}
}

// permissions is the specification the route table must match, by operation.
var permissions = merge(assignmentPermissions("appRoleAssignedTo", func(f *fixture) string { return f.graphSPID }, "Contacts.Read"),
	assignmentPermissions("appRoleAssignments", func(f *fixture) string { return f.spID }, "Mail.Send"), map[string]permission{
		"application.list":  {roles: readApplications, request: func(*fixture) graphRequest { return req("GET", "/applications", "") }},
		"application.delta": {roles: readApplications, request: func(*fixture) graphRequest { return req("GET", "/applications/delta()?$select=uniqueName", "") }},
		"servicePrincipal.delta": {roles: readApplications, request: func(*fixture) graphRequest {
			return req("GET", "/servicePrincipals/delta?$select=appId", "")
		}},
		"application.create": {roles: writeApplications, request: func(*fixture) graphRequest { return req("POST", "/applications", `{"displayName":"created"}`) }},
		"application.get":    {roles: readApplications, request: func(f *fixture) graphRequest { return req("GET", "/applications/"+f.appObjectID, "") }},
		"application.upsert": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			r := req("PATCH", "/applications(uniqueName='"+f.uniqueName+"')", `{"displayName":"upserted"}`)
			r.header = http.Header{"Prefer": {"create-if-missing"}}
			return r
		}},
		"application.patch": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("PATCH", "/applications/"+f.appObjectID, `{"notes":"patched"}`)
		}},
		"application.delete": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest { return req("DELETE", "/applications/"+f.appObjectID, "") }},
		"application.addPassword": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/addPassword", `{"passwordCredential":{"displayName":"more"}}`)
		}},
		"application.removePassword": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/removePassword", fmt.Sprintf(`{"keyId":%q}`, f.passwordKeyID))
		}},
		"application.addKey": {roles: writeApplications, ownedOnly: true, self: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/addKey",
				fmt.Sprintf(`{"keyCredential":{"type":"AsymmetricX509Cert","usage":"Verify","key":%q},"passwordCredential":null,"proof":%q}`, f.nextCertificate, f.proof))
		}},
		"application.removeKey": {roles: writeApplications, ownedOnly: true, self: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/removeKey", fmt.Sprintf(`{"keyId":%q,"proof":%q}`, f.certificateKeyID, f.proof))
		}},
		"federatedIdentityCredential.list": {roles: readApplications, request: func(f *fixture) graphRequest {
			return req("GET", "/applications/"+f.appObjectID+"/federatedIdentityCredentials", "")
		}},
		"federatedIdentityCredential.create": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/federatedIdentityCredentials",
				`{"name":"second","issuer":"https://issuer.example.com","subject":"second","audiences":["api://AzureADTokenExchange"]}`)
		}},
		"federatedIdentityCredential.get": {roles: readApplications, request: func(f *fixture) graphRequest {
			return req("GET", "/applications/"+f.appObjectID+"/federatedIdentityCredentials(name='"+f.ficName+"')", "")
		}},
		"federatedIdentityCredential.patch": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("PATCH", "/applications/"+f.appObjectID+"/federatedIdentityCredentials(name='"+f.ficName+"')", `{"description":"patched"}`)
		}},
		"federatedIdentityCredential.delete": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("DELETE", "/applications/"+f.appObjectID+"/federatedIdentityCredentials(name='"+f.ficName+"')", "")
		}},
		"application.owners.list": {roles: readApplications, request: func(f *fixture) graphRequest { return req("GET", "/applications/"+f.appObjectID+"/owners", "") }},
		"application.owners.add": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("POST", "/applications/"+f.appObjectID+"/owners/$ref", fmt.Sprintf(`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/%s"}`, f.otherUserID))
		}},
		"application.owners.remove": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("DELETE", "/applications/"+f.appObjectID+"/owners/"+f.userID+"/$ref", "")
		}},
		"servicePrincipal.list": {roles: readApplications, request: func(*fixture) graphRequest { return req("GET", "/servicePrincipals", "") }},
		"servicePrincipal.create": {roles: writeApplications, request: func(f *fixture) graphRequest {
			return req("POST", "/servicePrincipals", fmt.Sprintf(`{"appId":%q}`, f.bareAppID))
		}},
		"servicePrincipal.get": {roles: readApplications, request: func(f *fixture) graphRequest { return req("GET", "/servicePrincipals/"+f.spID, "") }},
		"servicePrincipal.patch": {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest {
			return req("PATCH", "/servicePrincipals/"+f.spID, `{"tags":["patched"]}`)
		}},
		"servicePrincipal.delete":    {roles: writeApplications, ownedOnly: true, request: func(f *fixture) graphRequest { return req("DELETE", "/servicePrincipals/"+f.spID, "") }},
		"oauth2PermissionGrant.list": {roles: readGrants, request: func(*fixture) graphRequest { return req("GET", "/oauth2PermissionGrants", "") }},
		"oauth2PermissionGrant.create": {roles: writeGrants, request: func(f *fixture) graphRequest {
			return req("POST", "/oauth2PermissionGrants", fmt.Sprintf(`{"clientId":%q,"consentType":"AllPrincipals","resourceId":%q,"scope":"EWS.AccessAsUser.All"}`, f.spID, f.exchangeSPID))
		}},
		"oauth2PermissionGrant.get": {roles: readGrants, request: func(f *fixture) graphRequest { return req("GET", "/oauth2PermissionGrants/"+f.grantID, "") }},
		"oauth2PermissionGrant.patch": {roles: writeGrants, request: func(f *fixture) graphRequest {
			return req("PATCH", "/oauth2PermissionGrants/"+f.grantID, `{"scope":"openid User.Read"}`)
		}},
		"oauth2PermissionGrant.delete": {roles: writeGrants, request: func(f *fixture) graphRequest { return req("DELETE", "/oauth2PermissionGrants/"+f.grantID, "") }},
		"policy.defaultAppManagementPolicy.get": {roles: readPolicies, request: func(*fixture) graphRequest {
			return req("GET", "/policies/defaultAppManagementPolicy", "")
		}},
		"policy.defaultAppManagementPolicy.patch": {roles: writeAppPolicies, request: func(*fixture) graphRequest {
			return req("PATCH", "/policies/defaultAppManagementPolicy", `{"description":"patched by the route test"}`)
		}},
		"user.list": {roles: readUsers, request: func(*fixture) graphRequest { return req("GET", "/users", "") }},
		"user.get":  {roles: readUsers, request: func(f *fixture) graphRequest { return req("GET", "/users/"+f.userID, "") }},
	})

// assignmentPermissions specifies one of a service principal's two app role assignment
// collections: sp picks the service principal whose collection holds the fixture's assignment,
// role the Graph app role a create assigns.
func assignmentPermissions(nav string, sp func(*fixture) string, role string) map[string]permission {
	collection := func(f *fixture) string { return "/servicePrincipals/" + sp(f) + "/" + nav }
	return map[string]permission{
		"servicePrincipal." + nav + ".list": {roles: readAssignments, request: func(f *fixture) graphRequest { return req("GET", collection(f), "") }},
		"servicePrincipal." + nav + ".create": {roles: writeAssignments, request: func(f *fixture) graphRequest {
			return req("POST", collection(f), f.assignmentBody(f.graphRoleIDs[role]))
		}},
		"servicePrincipal." + nav + ".get":    {roles: readAssignments, request: func(f *fixture) graphRequest { return req("GET", collection(f)+"/"+f.assignmentID, "") }},
		"servicePrincipal." + nav + ".delete": {roles: writeAssignments, request: func(f *fixture) graphRequest { return req("DELETE", collection(f)+"/"+f.assignmentID, "") }},
	}
}

func merge[K comparable, V any](ms ...map[K]V) map[K]V {
	out := map[K]V{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// TestEveryRouteChecksItsRoles walks the route table. Every route must refuse a token holding
// every Graph role except its own (403 Authorization_RequestDenied), and accept a token holding
// just one of its roles, each in turn (2xx). Routes limited to owned objects must refuse an
// OwnedBy caller on an object it does not own; routes open to the application itself must accept
// the application's own role-less token. Real tokens come from the emulator's token endpoint.
func TestEveryRouteChecksItsRoles(t *testing.T) {
	env := newEnvironment(t)
	routes := graphapi.Routes()
	if len(routes) < len(permissions) {
		t.Errorf("the route table has %d routes, the specification %d operations", len(routes), len(permissions))
	}
	for _, rt := range routes {
		spec, ok := permissions[rt.Op]
		if !ok {
			t.Errorf("route %s %s (%s) has no permission specification in this test", rt.Method, rt.Pattern, rt.Op)
			continue
		}
		t.Run(rt.Op, func(t *testing.T) {
			if !sameSet(rt.Roles, spec.roles) {
				t.Errorf("route roles %v, Graph documents %v", rt.Roles, spec.roles)
			}
			if owned := rt.Rule != graphapi.AnyObject; owned != spec.ownedOnly {
				t.Errorf("route rule %v, owned objects only: %v", rt.Rule, spec.ownedOnly)
			}
			if self := rt.Rule == graphapi.OwnedObjectsOrSelf; self != spec.self {
				t.Errorf("route rule %v, open to the application itself: %v", rt.Rule, spec.self)
			}
			env.checkRoute(t, rt, spec)
		})
	}
	for op := range permissions {
		if !slices.ContainsFunc(routes, func(rt graphapi.Route) bool { return rt.Op == op }) {
			t.Errorf("operation %s is specified but not routed", op)
		}
	}
}

// checkRoute sends the route's request as a caller lacking its roles, as each caller holding one
// of them, and, where the route's rule says so, as an OwnedBy caller that does not own the object
// and as the application itself.
func (env *environment) checkRoute(t *testing.T, rt graphapi.Route, spec permission) {
	t.Helper()
	lacking := slices.DeleteFunc(slices.Clone(env.allRoles), func(r string) bool { return slices.Contains(spec.roles, r) })
	status, code := env.send(t, rt, spec, env.client(t, lacking...), env.fixtureFor(t, rt, nil))
	if status != http.StatusForbidden || code != "Authorization_RequestDenied" {
		t.Errorf("without its roles (holding %v): %d %s, want 403 Authorization_RequestDenied", lacking, status, code)
	}
	for _, role := range spec.roles {
		caller := env.client(t, role)
		if status, code := env.send(t, rt, spec, caller, env.fixtureFor(t, rt, caller)); status < 200 || status > 299 {
			t.Errorf("with %s: %d %s, want 2xx", role, status, code)
		}
	}
	if spec.ownedOnly {
		// The fixture is the operator's; the OwnedBy caller owns nothing in it.
		status, code := env.send(t, rt, spec, env.client(t, "Application.ReadWrite.OwnedBy"), env.fixtureFor(t, rt, nil))
		if status != http.StatusForbidden || code != "Authorization_RequestDenied" {
			t.Errorf("OwnedBy on an object it does not own: %d %s, want 403 Authorization_RequestDenied", status, code)
		}
	}
	if spec.self {
		f := env.fixtureFor(t, rt, nil)
		if status, code := env.send(t, rt, spec, f.appItself, f); status < 200 || status > 299 {
			t.Errorf("the application itself, with no role: %d %s, want 2xx", status, code)
		}
	}
}

// environment is an emulator with a cache of clients by role set.
type environment struct {
	srv      *emulator.Server
	tenant   *emulator.Tenant
	operator *caller
	allRoles []string
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	next     string

	mu      sync.Mutex
	clients map[string]*caller
	shared  *fixture
}

// caller is a client and its Graph access token.
type caller struct {
	token string
	roles []string
}

func newEnvironment(t *testing.T) *environment {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	tenant := srv.Tenants()[0]
	env := &environment{srv: srv, tenant: tenant, clients: map[string]*caller{}}
	graph, _ := tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	for _, r := range graph.AppRoles {
		env.allRoles = append(env.allRoles, r.Value)
	}
	env.operator = &caller{token: env.token(t, tenant.OperatorClientID(), tenant.OperatorClientSecret())}
	env.cert, env.key = ecdsaCertificate(t)
	nextCert, _ := ecdsaCertificate(t)
	env.next = base64.StdEncoding.EncodeToString(nextCert.Raw)
	return env
}

// client returns a caller holding exactly roles, registering it once.
func (env *environment) client(t *testing.T, roles ...string) *caller {
	t.Helper()
	key := strings.Join(slices.Sorted(slices.Values(roles)), " ")
	env.mu.Lock()
	defer env.mu.Unlock()
	if c := env.clients[key]; c != nil {
		return c
	}
	id, secret := env.tenant.AddClient(roles...)
	c := &caller{token: env.token(t, id, secret), roles: roles}
	env.clients[key] = c
	return c
}

// token gets a Graph access token with the client credentials grant.
func (env *environment) token(t *testing.T, clientID, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	status, body := env.do(t, http.MethodPost, env.tenant.Endpoints().Token, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	var res struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &res); err != nil || status != http.StatusOK || res.AccessToken == "" {
		t.Fatalf("token for %s: %d %s", clientID, status, body)
	}
	return res.AccessToken
}

// fixture is what a route's request addresses: an application with a unique name, a certificate,
// a secret, a federated credential, a user owner and a service principal that holds an app role and a
// delegated grant; and an application without a service principal.
type fixture struct {
	appObjectID, appID, uniqueName  string
	spID, bareAppID                 string
	passwordKeyID, certificateKeyID string
	ficName, assignmentID, grantID  string
	graphSPID, exchangeSPID         string
	userID, otherUserID             string
	graphRoleIDs                    map[string]string
	// proof proves possession of the certificate for addKey and removeKey; nextCertificate is
	// what addKey adds.
	proof, nextCertificate string
	// appItself is the application's own token, which holds no Graph role.
	appItself *caller
}

func (f *fixture) assignmentBody(appRoleID string) string {
	return fmt.Sprintf(`{"principalId":%q,"resourceId":%q,"appRoleId":%q}`, f.spID, f.graphSPID, appRoleID)
}

// fixtureFor returns the fixture a request of rt works on. Reads share one; every write gets its
// own, made by the caller when it may create applications (so OwnedBy owns it) and by the
// operator otherwise.
func (env *environment) fixtureFor(t *testing.T, rt graphapi.Route, c *caller) *fixture {
	t.Helper()
	if !rt.Write {
		env.mu.Lock()
		defer env.mu.Unlock()
		if env.shared == nil {
			env.shared = env.newFixture(t, env.operator)
		}
		return env.shared
	}
	creator := env.operator
	if c != nil && slices.ContainsFunc(c.roles, func(r string) bool { return slices.Contains(writeApplications, r) }) {
		creator = c
	}
	return env.newFixture(t, creator)
}

func (env *environment) newFixture(t *testing.T, creator *caller) *fixture {
	t.Helper()
	users := env.tenant.Users()
	graph, _ := env.tenant.ServicePrincipalByAppID(emulator.MicrosoftGraphAppID)
	f := &fixture{
		graphSPID: env.tenant.GraphServicePrincipalID(), exchangeSPID: env.tenant.ExchangeServicePrincipalID(),
		userID: users[0].ID, otherUserID: users[1].ID, ficName: "first", graphRoleIDs: map[string]string{},
		nextCertificate: env.next, uniqueName: "fixture-" + uuid.NewString(),
	}
	for _, r := range graph.AppRoles {
		f.graphRoleIDs[r.Value] = r.ID
	}
	var app struct {
		ID             string `json:"id"`
		AppID          string `json:"appId"`
		KeyCredentials []struct {
			KeyID string `json:"keyId"`
		} `json:"keyCredentials"`
	}
	env.mustPost(t, creator, "/applications", fmt.Sprintf(`{"displayName":"fixture","uniqueName":%q,"keyCredentials":[{"type":"AsymmetricX509Cert","usage":"Verify","key":%q}]}`,
		f.uniqueName, base64.StdEncoding.EncodeToString(env.cert.Raw)), &app)
	f.appObjectID, f.appID, f.certificateKeyID = app.ID, app.AppID, app.KeyCredentials[0].KeyID
	f.spID = env.mustPost(t, creator, "/servicePrincipals", fmt.Sprintf(`{"appId":%q}`, f.appID), nil)
	var bare struct {
		AppID string `json:"appId"`
	}
	env.mustPost(t, creator, "/applications", `{"displayName":"bare"}`, &bare)
	f.bareAppID = bare.AppID

	var password struct {
		KeyID      string `json:"keyId"`
		SecretText string `json:"secretText"`
	}
	env.mustPost(t, env.operator, "/applications/"+f.appObjectID+"/addPassword", `{}`, &password)
	f.passwordKeyID = password.KeyID
	f.appItself = &caller{token: env.token(t, f.appID, password.SecretText)}
	env.mustPost(t, env.operator, "/applications/"+f.appObjectID+"/federatedIdentityCredentials",
		`{"name":"first","issuer":"https://issuer.example.com","subject":"first","audiences":["api://AzureADTokenExchange"]}`, nil)
	env.mustPost(t, env.operator, "/applications/"+f.appObjectID+"/owners/$ref",
		fmt.Sprintf(`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/%s"}`, f.userID), nil)
	f.assignmentID = env.mustPost(t, env.operator, "/servicePrincipals/"+f.graphSPID+"/appRoleAssignedTo", f.assignmentBody(f.graphRoleIDs["Calendars.Read"]), nil)
	f.grantID = env.mustPost(t, env.operator, "/oauth2PermissionGrants",
		fmt.Sprintf(`{"clientId":%q,"consentType":"AllPrincipals","resourceId":%q,"scope":"User.Read"}`, f.spID, f.graphSPID), nil)
	f.proof = env.proof(t, f.appObjectID)
	return f
}

// proof is an addKey/removeKey proof of possession signed with the fixture certificate's key.
func (env *environment) proof(t *testing.T, objectID string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"aud": "00000002-0000-0000-c000-000000000000", "iss": objectID, "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	sum := sha1.Sum(env.cert.Raw) //nolint:gosec // thumbprint
	tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
	s, err := tok.SignedString(env.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// send performs the route's request for spec as c, and checks that the route it meant to reach
// served it. It returns the status and the OData error code, if any.
func (env *environment) send(t *testing.T, rt graphapi.Route, spec permission, c *caller, f *fixture) (int, string) {
	t.Helper()
	r := spec.request(f)
	if r.method != rt.Method {
		t.Fatalf("the specification's request for %s is a %s, the route a %s", rt.Op, r.method, rt.Method)
	}
	before := env.srv.Counters().ByOperation[rt.Op]
	status, body := env.graph(t, c, r)
	if after := env.srv.Counters().ByOperation[rt.Op]; after != before+1 {
		t.Fatalf("%s %s did not reach %s: %d %s", r.method, r.path, rt.Op, status, body)
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e) // successful bodies have no error; the code stays empty
	return status, e.Error.Code
}

// mustPost performs a fixture request that must succeed, decodes its body into out when given,
// and returns the created object's id.
func (env *environment) mustPost(t *testing.T, c *caller, path, body string, out any) string {
	t.Helper()
	status, raw := env.graph(t, c, req(http.MethodPost, path, body))
	if status < 200 || status > 299 {
		t.Fatalf("fixture POST %s: %d %s", path, status, raw)
	}
	if len(raw) == 0 {
		return ""
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatalf("fixture POST %s: %v", path, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("fixture POST %s: %v", path, err)
		}
	}
	return created.ID
}

func (env *environment) graph(t *testing.T, c *caller, r graphRequest) (int, []byte) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + c.token}, "Content-Type": {"application/json"}}
	for k, v := range r.header {
		h[k] = v
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	return env.do(t, r.method, env.srv.GraphBaseURL()+r.path, body, h)
}

func (env *environment) do(t *testing.T, method, target string, body io.Reader, h http.Header) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	r.Header = h
	resp, err := env.srv.HTTPClient().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return resp.StatusCode, raw
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// ecdsaCertificate makes a P-256 certificate: the fixture's key credential, so addKey and removeKey
// are proven with ES256 here (the SDK tests use RSA).
func ecdsaCertificate(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "route test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err == nil {
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(der); err == nil {
			return cert, key
		}
	}
	t.Fatal(err)
	return nil, nil
}
