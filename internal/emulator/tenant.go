package emulator

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Tenant is one emulated Entra tenant: its directory objects, its test users
// and the state of its sign-ins (authorization codes, refresh tokens). All
// fields behind mu; every exported method returns deep copies.
type Tenant struct {
	srv    *Server
	id     string
	domain string

	mu          sync.Mutex
	seq         int64
	apps        map[string]*Application
	sps         map[string]*ServicePrincipal
	assignments map[string]*AppRoleAssignment
	grants      map[string]*OAuth2PermissionGrant
	users       []User
	codes       map[string]*authCode
	refresh     map[string]*refreshGrant

	operatorClientID string
	operatorSecret   string
	graphSPID        string
	exchangeSPID     string
}

// ErrNotFound is returned by Tenant methods addressing a missing object.
var ErrNotFound = errors.New("object not found")

func newTenant(srv *Server, id string) (*Tenant, error) {
	t := &Tenant{
		srv:         srv,
		id:          id,
		domain:      "emulator" + strings.ReplaceAll(id, "-", "")[:8] + ".onmicrosoft.com",
		apps:        map[string]*Application{},
		sps:         map[string]*ServicePrincipal{},
		assignments: map[string]*AppRoleAssignment{},
		grants:      map[string]*OAuth2PermissionGrant{},
		codes:       map[string]*authCode{},
		refresh:     map[string]*refreshGrant{},
	}
	if err := t.seed(); err != nil {
		return nil, fmt.Errorf("seed tenant %s: %w", id, err)
	}
	return t, nil
}

// seededAt is the creation time of seeded objects: long enough ago that
// replication lag never hides them.
func (t *Tenant) seededAt() time.Time { return t.srv.now().Add(-365 * 24 * time.Hour) }

func (t *Tenant) seed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.seededAt()

	graph := &ServicePrincipal{
		ID: uuid.NewString(), AppID: MicrosoftGraphAppID, DisplayName: "Microsoft Graph",
		AppDisplayName: "Microsoft Graph", AppOwnerOrganizationID: microsoftTenantID, AccountEnabled: true,
		ServicePrincipalNames: []string{MicrosoftGraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/", "https://canary.graph.microsoft.com"},
		ServicePrincipalType:  servicePrincipalTypeApplication, SignInAudience: signInAudienceMultipleOrgs,
		AppRoles: rolesFrom(graphRoles), OAuth2PermissionScopes: scopesFrom(graphScopes, scopeTypeUser),
	}
	exchange := &ServicePrincipal{
		ID: uuid.NewString(), AppID: ExchangeOnlineAppID, DisplayName: "Office 365 Exchange Online",
		AppDisplayName: "Office 365 Exchange Online", AppOwnerOrganizationID: microsoftTenantID, AccountEnabled: true,
		ServicePrincipalNames: []string{ExchangeOnlineAppID, "https://outlook.office365.com", "https://outlook.office365.com/", "https://outlook.office.com", "https://outlook.office.com/"},
		ServicePrincipalType:  servicePrincipalTypeApplication, SignInAudience: signInAudienceMultipleOrgs,
		AppRoles: rolesFrom(exchangeRoles), OAuth2PermissionScopes: []PermissionScope{},
	}
	for _, sp := range []*ServicePrincipal{graph, exchange} {
		sp.meta = t.nextMeta(at)
		normalizeServicePrincipal(sp)
		t.sps[sp.ID] = sp
	}
	t.graphSPID, t.exchangeSPID = graph.ID, exchange.ID

	for _, u := range seedUsers {
		upn := u.alias + "@" + t.domain
		t.users = append(t.users, User{
			ID: uuid.NewString(), UserPrincipalName: upn, Mail: upn,
			DisplayName: u.given + " " + u.surname, GivenName: u.given, Surname: u.surname,
		})
	}

	clientID, secret, err := t.addClientLocked("Entra SSO operator", operatorRoles, at)
	if err != nil {
		return err
	}
	t.operatorClientID, t.operatorSecret = clientID, secret
	return nil
}

// addClientLocked registers a confidential client (application, service
// principal, a two-year secret) and consents the named Graph app roles.
func (t *Tenant) addClientLocked(name string, roles []string, at time.Time) (clientID, secret string, err error) {
	graph := t.sps[t.graphSPID]
	var access []ResourceAccess
	var roleIDs []string
	for _, r := range roles {
		role, ok := findRoleByValue(graph.AppRoles, r)
		if !ok {
			return "", "", fmt.Errorf("microsoft Graph has no app role %q", r)
		}
		access = append(access, ResourceAccess{ID: role.ID, Type: accessTypeRole})
		roleIDs = append(roleIDs, role.ID)
	}
	app := &Application{
		ID: uuid.NewString(), AppID: uuid.NewString(), DisplayName: name,
		SignInAudience: signInAudienceMyOrg, CreatedDateTime: at.UTC(), PublisherDomain: t.domain,
		RequiredResourceAccess: []RequiredResourceAccess{{ResourceAppID: MicrosoftGraphAppID, ResourceAccess: access}},
	}
	secret, cred := newPasswordCredential(at, at.Add(2*365*24*time.Hour), "seeded")
	app.PasswordCredentials = []PasswordCredential{cred}
	app.meta = t.nextMeta(at)
	normalizeApplication(app)
	t.apps[app.ID] = app

	sp := newServicePrincipalFor(app, t.id)
	sp.meta = t.nextMeta(at)
	t.sps[sp.ID] = sp
	for _, id := range roleIDs {
		a := &AppRoleAssignment{
			ID: uuid.NewString(), AppRoleID: id, CreatedDateTime: at.UTC(),
			PrincipalDisplayName: sp.DisplayName, PrincipalID: sp.ID, PrincipalType: principalTypeServicePrincipal,
			ResourceDisplayName: graph.DisplayName, ResourceID: graph.ID, meta: t.nextMeta(at),
		}
		t.assignments[a.ID] = a
	}
	return app.AppID, secret, nil
}

// nextMeta stamps a new object. Callers hold t.mu.
func (t *Tenant) nextMeta(at time.Time) objectMeta {
	t.seq++
	return objectMeta{seq: t.seq, createdAt: at}
}

// ID is the tenant's GUID.
func (t *Tenant) ID() string { return t.id }

// Domain is the tenant's initial domain (users' UPN suffix).
func (t *Tenant) Domain() string { return t.domain }

// OperatorClientID is the appId of the seeded operator application, which
// holds Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and
// DelegatedPermissionGrant.ReadWrite.All with admin consent.
func (t *Tenant) OperatorClientID() string { return t.operatorClientID }

// OperatorClientSecret is the operator application's client secret.
func (t *Tenant) OperatorClientSecret() string { return t.operatorSecret }

// GraphServicePrincipalID is the object ID of the Microsoft Graph service
// principal in this tenant.
func (t *Tenant) GraphServicePrincipalID() string { return t.graphSPID }

// ExchangeServicePrincipalID is the object ID of the Office 365 Exchange
// Online service principal in this tenant.
func (t *Tenant) ExchangeServicePrincipalID() string { return t.exchangeSPID }

// AddClient registers another confidential client holding exactly the given
// Microsoft Graph app roles (by value, e.g. "Application.Read.All"), for
// tests of authorization failures. It panics on a role Graph does not have,
// which is a mistake in the test, not a runtime condition.
func (t *Tenant) AddClient(roles ...string) (clientID, secret string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	clientID, secret, err := t.addClientLocked("Test client "+fmt.Sprint(t.seq+1), roles, t.seededAt())
	if err != nil {
		panic(fmt.Sprintf("emulator: AddClient: %v", err))
	}
	return clientID, secret
}

// Issuer is the v2.0 issuer of this tenant's tokens.
func (t *Tenant) Issuer() string { return t.srv.URL() + "/" + t.id + "/v2.0" }

// Endpoints are the tenant's identity platform URLs, as published in its
// discovery document.
type Endpoints struct {
	Issuer, Discovery, Authorization, Token, JWKS, Logout, UserInfo, DeviceAuthorization string
}

// Endpoints returns the tenant's identity platform URLs.
func (t *Tenant) Endpoints() Endpoints {
	base := t.srv.URL() + "/" + t.id
	return Endpoints{
		Issuer:              t.Issuer(),
		Discovery:           base + "/v2.0/.well-known/openid-configuration",
		Authorization:       base + "/oauth2/v2.0/authorize",
		Token:               base + "/oauth2/v2.0/token",
		JWKS:                base + "/discovery/v2.0/keys",
		Logout:              base + "/oauth2/v2.0/logout",
		UserInfo:            t.srv.URL() + "/oidc/userinfo",
		DeviceAuthorization: base + "/oauth2/v2.0/devicecode",
	}
}

// Users returns the seeded test users.
func (t *Tenant) Users() []User {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.users)
}

// Applications returns every application, oldest first, ignoring
// replication lag.
func (t *Tenant) Applications() []Application {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Application, 0, len(t.apps))
	for _, a := range sortedBySeq(t.apps, func(a *Application) int64 { return a.meta.seq }) {
		out = append(out, cloneApplication(a))
	}
	return out
}

// Application returns the application with this object ID.
func (t *Tenant) Application(objectID string) (Application, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.apps[objectID]
	if !ok {
		return Application{}, false
	}
	return cloneApplication(a), true
}

// ApplicationByAppID returns the application with this appId (client ID).
func (t *Tenant) ApplicationByAppID(appID string) (Application, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.appByAppIDLocked(appID)
	if a == nil {
		return Application{}, false
	}
	return cloneApplication(a), true
}

// UpdateApplication changes an application behind the operator's back, as
// an administrator in the portal would. The ID cannot be changed.
func (t *Tenant) UpdateApplication(objectID string, mutate func(*Application)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.apps[objectID]
	if !ok {
		return fmt.Errorf("application %s: %w", objectID, ErrNotFound)
	}
	c := cloneApplication(a)
	mutate(&c)
	c.ID, c.meta = a.ID, a.meta
	normalizeApplication(&c)
	t.apps[objectID] = &c
	t.syncServicePrincipalLocked(&c)
	return nil
}

// DeleteApplication removes an application (and its service principal), as
// if deleted in the portal.
func (t *Tenant) DeleteApplication(objectID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.apps[objectID]; !ok {
		return fmt.Errorf("application %s: %w", objectID, ErrNotFound)
	}
	t.deleteApplicationLocked(objectID)
	return nil
}

// ServicePrincipals returns every service principal, oldest first.
func (t *Tenant) ServicePrincipals() []ServicePrincipal {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ServicePrincipal, 0, len(t.sps))
	for _, sp := range sortedBySeq(t.sps, func(s *ServicePrincipal) int64 { return s.meta.seq }) {
		out = append(out, cloneJSON(sp))
	}
	return out
}

// ServicePrincipalByAppID returns the service principal for an appId.
func (t *Tenant) ServicePrincipalByAppID(appID string) (ServicePrincipal, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spByAppIDLocked(appID)
	if sp == nil {
		return ServicePrincipal{}, false
	}
	return cloneJSON(sp), true
}

// OAuth2PermissionGrants returns every delegated permission grant.
func (t *Tenant) OAuth2PermissionGrants() []OAuth2PermissionGrant {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]OAuth2PermissionGrant, 0, len(t.grants))
	for _, g := range sortedBySeq(t.grants, func(g *OAuth2PermissionGrant) int64 { return g.meta.seq }) {
		out = append(out, cloneJSON(g))
	}
	return out
}

// AppRoleAssignments returns every app role assignment.
func (t *Tenant) AppRoleAssignments() []AppRoleAssignment {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]AppRoleAssignment, 0, len(t.assignments))
	for _, a := range sortedBySeq(t.assignments, func(a *AppRoleAssignment) int64 { return a.meta.seq }) {
		out = append(out, cloneJSON(a))
	}
	return out
}

// --- lookups; callers hold t.mu ---

func (t *Tenant) appByAppIDLocked(appID string) *Application {
	for _, a := range t.apps {
		if strings.EqualFold(a.AppID, appID) {
			return a
		}
	}
	return nil
}

func (t *Tenant) appByUniqueNameLocked(name string) *Application {
	for _, a := range t.apps {
		if a.UniqueName != nil && strings.EqualFold(*a.UniqueName, name) {
			return a
		}
	}
	return nil
}

func (t *Tenant) spByAppIDLocked(appID string) *ServicePrincipal {
	for _, sp := range t.sps {
		if strings.EqualFold(sp.AppID, appID) {
			return sp
		}
	}
	return nil
}

func (t *Tenant) userByIDLocked(id string) *User {
	for i := range t.users {
		if strings.EqualFold(t.users[i].ID, id) {
			return &t.users[i]
		}
	}
	return nil
}

// deleteApplicationLocked removes an application and, as Entra does in the
// home tenant, its service principal with everything pointing at it.
func (t *Tenant) deleteApplicationLocked(objectID string) {
	a := t.apps[objectID]
	delete(t.apps, objectID)
	if a == nil {
		return
	}
	if sp := t.spByAppIDLocked(a.AppID); sp != nil {
		t.deleteServicePrincipalLocked(sp.ID)
	}
	for code, c := range t.codes {
		if c.clientID == a.AppID {
			delete(t.codes, code)
		}
	}
	for rt, g := range t.refresh {
		if g.clientID == a.AppID {
			delete(t.refresh, rt)
		}
	}
}

func (t *Tenant) deleteServicePrincipalLocked(id string) {
	delete(t.sps, id)
	for k, a := range t.assignments {
		if a.PrincipalID == id || a.ResourceID == id {
			delete(t.assignments, k)
		}
	}
	for k, g := range t.grants {
		if g.ClientID == id || g.ResourceID == id {
			delete(t.grants, k)
		}
	}
}

// syncServicePrincipalLocked mirrors application changes Entra propagates
// to the app's service principal (names, roles, scopes, SPNs).
func (t *Tenant) syncServicePrincipalLocked(a *Application) {
	sp := t.spByAppIDLocked(a.AppID)
	if sp == nil {
		return
	}
	fresh := newServicePrincipalFor(a, t.id)
	sp.DisplayName, sp.AppDisplayName = fresh.DisplayName, fresh.AppDisplayName
	sp.AppRoles, sp.OAuth2PermissionScopes = fresh.AppRoles, fresh.OAuth2PermissionScopes
	sp.ServicePrincipalNames, sp.ReplyURLs, sp.SignInAudience = fresh.ServicePrincipalNames, fresh.ReplyURLs, fresh.SignInAudience
}

// visible reports whether an object created at createdAt can be read yet
// under the current replication lag.
func (t *Tenant) visible(m objectMeta) bool {
	lag := t.srv.behaviour().ReplicationLag
	return lag <= 0 || !t.srv.now().Before(m.createdAt.Add(lag))
}

// --- construction helpers ---

// newPasswordCredential makes a client secret shaped like Entra's
// (three characters, a "8Q~"-style marker, then random characters).
func newPasswordCredential(start, end time.Time, displayName string) (string, PasswordCredential) {
	secret := randomSecret()
	hint := secret[:3]
	s, e := start.UTC(), end.UTC()
	cred := PasswordCredential{
		KeyID: uuid.NewString(), Hint: &hint, StartDateTime: &s, EndDateTime: &e,
		secretHash: sha256.Sum256([]byte(secret)),
	}
	if displayName != "" {
		cred.DisplayName = &displayName
	}
	return secret, cred
}

// newServicePrincipalFor derives a service principal from its application,
// as Entra does on POST /servicePrincipals.
func newServicePrincipalFor(a *Application, tenantID string) *ServicePrincipal {
	names := append([]string{a.AppID}, a.IdentifierURIs...)
	reply := append(append(append([]string{}, a.Web.RedirectURIs...), a.Spa.RedirectURIs...), a.PublicClient.RedirectURIs...)
	sp := &ServicePrincipal{
		ID: uuid.NewString(), AppID: a.AppID, DisplayName: a.DisplayName, AppDisplayName: a.DisplayName,
		AppOwnerOrganizationID: tenantID, AccountEnabled: true, ServicePrincipalNames: names,
		ServicePrincipalType: servicePrincipalTypeApplication, SignInAudience: a.SignInAudience,
		AppRoles: slices.Clone(a.AppRoles), OAuth2PermissionScopes: slices.Clone(a.API.OAuth2PermissionScopes),
		ReplyURLs: reply, Tags: []string{},
	}
	normalizeServicePrincipal(sp)
	return sp
}

func findRoleByValue(roles []AppRole, value string) (AppRole, bool) {
	for _, r := range roles {
		if r.Value == value {
			return r, true
		}
	}
	return AppRole{}, false
}

// normalizeApplication replaces nil collections with empty ones so responses
// show [] like Graph, never null.
func normalizeApplication(a *Application) {
	nonNil(&a.IdentifierURIs)
	nonNil(&a.RequiredResourceAccess)
	nonNil(&a.PasswordCredentials)
	nonNil(&a.KeyCredentials)
	nonNil(&a.AppRoles)
	nonNil(&a.Tags)
	nonNil(&a.Web.RedirectURIs)
	nonNil(&a.Web.RedirectURISettings)
	nonNil(&a.Spa.RedirectURIs)
	nonNil(&a.PublicClient.RedirectURIs)
	nonNil(&a.API.KnownClientApplications)
	nonNil(&a.API.OAuth2PermissionScopes)
	nonNil(&a.API.PreAuthorizedApplications)
	for i := range a.RequiredResourceAccess {
		nonNil(&a.RequiredResourceAccess[i].ResourceAccess)
	}
	for i := range a.AppRoles {
		nonNil(&a.AppRoles[i].AllowedMemberTypes)
	}
	if a.Owners == nil {
		a.Owners = []string{}
	}
}

func normalizeServicePrincipal(sp *ServicePrincipal) {
	nonNil(&sp.ServicePrincipalNames)
	nonNil(&sp.AppRoles)
	nonNil(&sp.OAuth2PermissionScopes)
	nonNil(&sp.ReplyURLs)
	nonNil(&sp.Tags)
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// cloneApplication deep-copies an application including the unexported
// credential material JSON does not carry.
func cloneApplication(a *Application) Application {
	out := cloneJSON(a)
	out.meta = a.meta
	out.Owners = slices.Clone(a.Owners)
	out.FederatedIdentityCredentials = make([]FederatedIdentityCredential, 0, len(a.FederatedIdentityCredentials))
	for _, f := range a.FederatedIdentityCredentials {
		out.FederatedIdentityCredentials = append(out.FederatedIdentityCredentials, cloneJSON(&f))
	}
	for i := range out.PasswordCredentials {
		out.PasswordCredentials[i].secretHash = a.PasswordCredentials[i].secretHash
	}
	for i := range out.KeyCredentials {
		out.KeyCredentials[i].cert = a.KeyCredentials[i].cert
	}
	return out
}

// cloneJSON deep-copies a value through its JSON form. Types cloned this way
// carry only JSON-visible data plus meta, which is restored by reflection-free
// convention in the callers that need it.
func cloneJSON[T any](v *T) T {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		// Every model type round-trips through JSON; failing here is a bug.
		panic(fmt.Sprintf("emulator: clone %T: %v", v, err))
	}
	if m, ok := any(v).(interface{ metaOf() objectMeta }); ok {
		if s, ok := any(&out).(interface{ setMeta(objectMeta) }); ok {
			s.setMeta(m.metaOf())
		}
	}
	return out
}

func (sp *ServicePrincipal) metaOf() objectMeta       { return sp.meta }
func (sp *ServicePrincipal) setMeta(m objectMeta)     { sp.meta = m }
func (a *AppRoleAssignment) metaOf() objectMeta       { return a.meta }
func (a *AppRoleAssignment) setMeta(m objectMeta)     { a.meta = m }
func (g *OAuth2PermissionGrant) metaOf() objectMeta   { return g.meta }
func (g *OAuth2PermissionGrant) setMeta(m objectMeta) { g.meta = m }

func sortedBySeq[T any](m map[string]*T, seq func(*T) int64) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return seq(out[i]) < seq(out[j]) })
	return out
}
