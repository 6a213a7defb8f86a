// Package directory is the Entra emulator's store: each tenant's directory objects (applications,
// service principals, app role assignments, delegated permission grants) and its test users. It
// answers with the directory's own rules (what exists, who owns it, what cascades on delete, what
// must be unique) and leaves the protocols to the Graph API and the identity platform. It is given
// a clock and a visibility rule (replication lag); it keeps no sign-in sessions and knows no server.
package directory

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Directory is one tenant's directory. Its exported methods lock it themselves and return deep
// copies; the Graph API and the identity platform work inside Do, on the live objects.
type Directory struct {
	id     string
	domain string
	clock  func() time.Time
	// visible is the visibility rule: whether an object created then can be read now.
	visible func(created time.Time) bool

	mu          sync.Mutex
	seq         int64
	apps        table[Application, *Application]
	sps         table[ServicePrincipal, *ServicePrincipal]
	assignments table[AppRoleAssignment, *AppRoleAssignment]
	grants      table[OAuth2PermissionGrant, *OAuth2PermissionGrant]
	users       []User
	policy      TenantAppManagementPolicy
	// changes records what changed when, for delta query.
	changes changeLog

	operatorClientID string
	operatorSecret   string
	graphSPID        string
	exchangeSPID     string
}

// ErrNotFound is returned by Directory methods addressing a missing object.
var ErrNotFound = errors.New("object not found")

// Config describes a new tenant directory.
type Config struct {
	// ID is the tenant ID (a GUID, lower case).
	ID string
	// Clock is the emulator's time source.
	Clock func() time.Time
	// Visible is the visibility rule for reads, e.g. replication lag; nil sees everything at once.
	Visible func(created time.Time) bool
}

// New seeds a tenant directory: the Microsoft Graph and Exchange Online service principals, the
// test users, and the operator's application with its Graph roles consented.
func New(cfg Config) (*Directory, error) {
	if cfg.Visible == nil {
		cfg.Visible = func(time.Time) bool { return true }
	}
	d := &Directory{
		id:          cfg.ID,
		domain:      "emulator" + strings.ReplaceAll(cfg.ID, "-", "")[:8] + ".onmicrosoft.com",
		clock:       cfg.Clock,
		visible:     cfg.Visible,
		apps:        table[Application, *Application]{},
		sps:         table[ServicePrincipal, *ServicePrincipal]{},
		assignments: table[AppRoleAssignment, *AppRoleAssignment]{},
		grants:      table[OAuth2PermissionGrant, *OAuth2PermissionGrant]{},
		policy:      defaultAppManagementPolicy(),
	}
	if err := d.seed(); err != nil {
		return nil, fmt.Errorf("seed tenant %s: %w", cfg.ID, err)
	}
	return d, nil
}

// seededAt is the creation time of seeded objects: long enough ago that replication lag never
// hides them.
func (d *Directory) seededAt() time.Time { return d.clock().Add(-365 * 24 * time.Hour) }

func (d *Directory) seed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	at := d.seededAt()
	graph := &ServicePrincipal{
		ID: uuid.NewString(), AppID: MicrosoftGraphAppID, DisplayName: "Microsoft Graph",
		AppDisplayName: "Microsoft Graph", AppOwnerOrganizationID: MicrosoftTenantID, AccountEnabled: true,
		ServicePrincipalNames: []string{MicrosoftGraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/", "https://canary.graph.microsoft.com"},
		ServicePrincipalType:  ServicePrincipalTypeApplication, SignInAudience: SignInAudienceMultipleOrgs,
		AppRoles: rolesFrom(graphRoles), OAuth2PermissionScopes: scopesFrom(graphScopes, ScopeTypeUser),
	}
	exchange := &ServicePrincipal{
		ID: uuid.NewString(), AppID: ExchangeOnlineAppID, DisplayName: "Office 365 Exchange Online",
		AppDisplayName: "Office 365 Exchange Online", AppOwnerOrganizationID: MicrosoftTenantID, AccountEnabled: true,
		ServicePrincipalNames: []string{ExchangeOnlineAppID, "https://outlook.office365.com", "https://outlook.office365.com/", "https://outlook.office.com", "https://outlook.office.com/"},
		ServicePrincipalType:  ServicePrincipalTypeApplication, SignInAudience: SignInAudienceMultipleOrgs,
		AppRoles: rolesFrom(exchangeRoles), OAuth2PermissionScopes: []PermissionScope{},
	}
	tx := &Tx{d: d}
	for _, sp := range []*ServicePrincipal{graph, exchange} {
		NormalizeServicePrincipal(sp)
		tx.AddServicePrincipal(sp, at)
	}
	d.graphSPID, d.exchangeSPID = graph.ID, exchange.ID

	for _, u := range seedUsers {
		upn := u.alias + "@" + d.domain
		d.users = append(d.users, User{
			ID: uuid.NewString(), UserPrincipalName: upn, Mail: upn,
			DisplayName: u.given + " " + u.surname, GivenName: u.given, Surname: u.surname,
			GlobalAdministrator: u.admin,
		})
	}
	clientID, secret, err := tx.addClient("Entra SSO operator", operatorRoles, at)
	if err != nil {
		return err
	}
	d.operatorClientID, d.operatorSecret = clientID, secret
	return nil
}

// addClient registers a confidential client (application, service principal, a two-year secret)
// and consents the named Graph app roles.
func (tx *Tx) addClient(name string, roles []string, at time.Time) (clientID, secret string, err error) {
	graph := tx.d.sps[tx.d.graphSPID]
	var access []ResourceAccess
	var roleIDs []string
	for _, r := range roles {
		i := slices.IndexFunc(graph.AppRoles, func(role AppRole) bool { return role.Value == r })
		if i < 0 {
			return "", "", fmt.Errorf("microsoft Graph has no app role %q", r)
		}
		access = append(access, ResourceAccess{ID: graph.AppRoles[i].ID, Type: AccessTypeRole})
		roleIDs = append(roleIDs, graph.AppRoles[i].ID)
	}
	app := &Application{
		ID: uuid.NewString(), AppID: uuid.NewString(), DisplayName: name,
		SignInAudience: SignInAudienceMyOrg, CreatedDateTime: at.UTC(), PublisherDomain: tx.d.domain,
		RequiredResourceAccess: []RequiredResourceAccess{{ResourceAppID: MicrosoftGraphAppID, ResourceAccess: access}},
	}
	secret, cred := NewPasswordCredential(at, at.Add(2*365*24*time.Hour), "seeded")
	app.PasswordCredentials = []PasswordCredential{cred}
	NormalizeApplication(app)
	tx.AddApplication(app, at)
	sp := NewServicePrincipalFor(app, tx.d.id)
	tx.AddServicePrincipal(sp, at)
	for _, id := range roleIDs {
		tx.AddAssignment(&AppRoleAssignment{
			ID: uuid.NewString(), AppRoleID: id, CreatedDateTime: at.UTC(),
			PrincipalDisplayName: sp.DisplayName, PrincipalID: sp.ID, PrincipalType: PrincipalTypeServicePrincipal,
			ResourceDisplayName: graph.DisplayName, ResourceID: graph.ID,
		}, at)
	}
	return app.AppID, secret, nil
}

// ID is the tenant's GUID.
func (d *Directory) ID() string { return d.id }

// Domain is the tenant's initial domain (users' UPN suffix).
func (d *Directory) Domain() string { return d.domain }

// OperatorClientID is the appId of the seeded operator application, which holds
// Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and
// DelegatedPermissionGrant.ReadWrite.All with admin consent.
func (d *Directory) OperatorClientID() string { return d.operatorClientID }

// OperatorClientSecret is the operator application's client secret.
func (d *Directory) OperatorClientSecret() string { return d.operatorSecret }

// GraphServicePrincipalID is the object ID of the Microsoft Graph service principal in this tenant.
func (d *Directory) GraphServicePrincipalID() string { return d.graphSPID }

// ExchangeServicePrincipalID is the object ID of the Office 365 Exchange Online service principal
// in this tenant.
func (d *Directory) ExchangeServicePrincipalID() string { return d.exchangeSPID }

// AddClient registers another confidential client holding exactly the given Microsoft Graph app
// roles (by value, e.g. "Application.Read.All"), for tests of authorization. It panics on a role
// Graph does not have, which is a mistake in the test, not a runtime condition.
func (d *Directory) AddClient(roles ...string) (clientID, secret string) {
	d.Do(func(tx *Tx) {
		var err error
		clientID, secret, err = tx.addClient("Test client "+fmt.Sprint(d.seq+1), roles, d.seededAt())
		if err != nil {
			panic(fmt.Sprintf("emulator: AddClient: %v", err))
		}
	})
	return clientID, secret
}

// AddPortalApplication stores an application as a person makes one in the Entra admin center: no
// unique name, owned by nobody but the person, with a service principal and one client secret
// (returned), carrying the given tags. It is what the operator's adoption starts from.
func (d *Directory) AddPortalApplication(displayName string, tags ...string) (app Application, secret string) {
	d.Do(func(tx *Tx) {
		now := d.clock()
		a := EmptyApplication()
		a.ID, a.AppID, a.DisplayName = uuid.NewString(), uuid.NewString(), displayName
		a.SignInAudience, a.CreatedDateTime, a.PublisherDomain = SignInAudienceMyOrg, now.UTC(), d.domain
		a.Tags = append([]string{}, tags...)
		var pc PasswordCredential
		secret, pc = NewPasswordCredential(now, now.AddDate(1, 0, 0), "Made in the portal")
		a.PasswordCredentials = []PasswordCredential{pc}
		tx.AddApplication(a, now)
		tx.AddServicePrincipal(NewServicePrincipalFor(a, d.id), now)
		app = CloneApplication(a)
	})
	return app, secret
}

// Users returns the seeded test users.
func (d *Directory) Users() []User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.users)
}

// Applications returns every application, oldest first, ignoring replication lag.
func (d *Directory) Applications() []Application {
	return copies(d, (*Tx).Applications, CloneApplication)
}

// Application returns the application with this object ID.
func (d *Directory) Application(objectID string) (Application, bool) {
	return copyOf(d, func(tx *Tx) *Application { return tx.Application(ByID(objectID)) }, CloneApplication)
}

// ApplicationByAppID returns the application with this appId (client ID).
func (d *Directory) ApplicationByAppID(appID string) (Application, bool) {
	return copyOf(d, func(tx *Tx) *Application { return tx.ApplicationByAppID(appID) }, CloneApplication)
}

// UpdateApplication changes an application behind the operator's back, as an administrator in
// the portal would. The ID cannot be changed.
func (d *Directory) UpdateApplication(objectID string, mutate func(*Application)) error {
	var err error
	d.Do(func(tx *Tx) {
		cur := tx.Application(ByID(objectID))
		if cur == nil {
			err = fmt.Errorf("application %s: %w", objectID, ErrNotFound)
			return
		}
		next := CloneApplication(cur)
		mutate(&next)
		next.ID = cur.ID
		NormalizeApplication(&next)
		tx.ReplaceApplication(&next)
	})
	return err
}

// DeleteApplication removes an application (and its service principal), as if deleted in the
// portal.
func (d *Directory) DeleteApplication(objectID string) error {
	var err error
	d.Do(func(tx *Tx) {
		if tx.Application(ByID(objectID)) == nil {
			err = fmt.Errorf("application %s: %w", objectID, ErrNotFound)
			return
		}
		tx.DeleteApplication(objectID)
	})
	return err
}

// ServicePrincipals returns every service principal, oldest first.
func (d *Directory) ServicePrincipals() []ServicePrincipal {
	return copies(d, (*Tx).ServicePrincipals, cloneServicePrincipal)
}

// ServicePrincipalByAppID returns the service principal for an appId.
func (d *Directory) ServicePrincipalByAppID(appID string) (ServicePrincipal, bool) {
	return copyOf(d, func(tx *Tx) *ServicePrincipal { return tx.ServicePrincipalByAppID(appID) }, cloneServicePrincipal)
}

// OAuth2PermissionGrants returns every delegated permission grant, oldest first.
func (d *Directory) OAuth2PermissionGrants() []OAuth2PermissionGrant {
	return copies(d, (*Tx).Grants, cloneGrant)
}

// AppRoleAssignments returns every app role assignment, oldest first.
func (d *Directory) AppRoleAssignments() []AppRoleAssignment {
	return copies(d, (*Tx).Assignments, cloneAssignment)
}

// copies deep-copies every object a Tx accessor lists.
func copies[T any](d *Directory, list func(*Tx) []*T, clone func(*T) T) []T {
	var out []T
	d.Do(func(tx *Tx) {
		objs := list(tx)
		out = make([]T, 0, len(objs))
		for _, o := range objs {
			out = append(out, clone(o))
		}
	})
	return out
}

// copyOf deep-copies the object a Tx lookup finds.
func copyOf[T any](d *Directory, find func(*Tx) *T, clone func(*T) T) (T, bool) {
	var out T
	found := false
	d.Do(func(tx *Tx) {
		if o := find(tx); o != nil {
			out, found = clone(o), true
		}
	})
	return out, found
}

// Do runs fn with the directory locked. fn works on the live objects through tx and must not keep
// them, or tx, after it returns.
func (d *Directory) Do(fn func(tx *Tx)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn(&Tx{d: d})
}

// Tx is the directory while Do holds its lock: lookups return the live objects, and changes go
// through its methods, which keep the directory's invariants (creation order, cascades, the
// service principal following its application).
type Tx struct{ d *Directory }

// Visible reports whether an object with this stamp can be read yet under the visibility rule.
// Writes go to the primary and ignore it.
func (tx *Tx) Visible(s Stamp) bool { return tx.d.visible(s.Created) }

func (tx *Tx) stamp(at time.Time) Stamp {
	tx.d.seq++
	return Stamp{Seq: tx.d.seq, Created: at}
}

// The alternate keys Graph addresses objects by, besides the object ID.
var (
	applicationKeys = alternateKeys[*Application]{
		KeyAppID: func(a *Application) string { return a.AppID },
		KeyUniqueName: func(a *Application) string {
			if a.UniqueName == nil {
				return ""
			}
			return *a.UniqueName
		},
	}
	servicePrincipalKeys = alternateKeys[*ServicePrincipal]{KeyAppID: func(sp *ServicePrincipal) string { return sp.AppID }}
)

// Application finds an application by object ID, appId or uniqueName.
func (tx *Tx) Application(k Key) *Application { return tx.d.apps.byKey(k, applicationKeys) }

// ApplicationByAppID finds an application by appId (client ID).
func (tx *Tx) ApplicationByAppID(appID string) *Application {
	return tx.Application(Key{By: KeyAppID, Value: appID})
}

// Applications lists every application, oldest first.
func (tx *Tx) Applications() []*Application { return tx.d.apps.list() }

// AddApplication stores a new application created at.
func (tx *Tx) AddApplication(a *Application, at time.Time) {
	tx.d.apps.add(a.ID, a, tx.stamp(at))
	tx.d.changes.created(ChangeApplications, a.ID)
}

// ReplaceApplication stores a changed version of an existing application (same ID; the stamp is
// kept) and carries what Entra propagates over to its service principal.
func (tx *Tx) ReplaceApplication(next *Application) {
	cur := tx.d.apps.get(next.ID)
	before := TakeSnapshot(cur)
	tx.d.apps.add(next.ID, next, cur.Stamp())
	tx.d.changes.changed(ChangeApplications, next.ID, changedProperties(before, TakeSnapshot(next)))
	sp := tx.ServicePrincipalByAppID(next.AppID)
	if sp == nil {
		return
	}
	spBefore := TakeSnapshot(sp)
	fresh := NewServicePrincipalFor(next, tx.d.id)
	sp.DisplayName, sp.AppDisplayName = fresh.DisplayName, fresh.AppDisplayName
	sp.AppRoles, sp.OAuth2PermissionScopes = fresh.AppRoles, fresh.OAuth2PermissionScopes
	sp.ServicePrincipalNames, sp.ReplyURLs, sp.SignInAudience = fresh.ServicePrincipalNames, fresh.ReplyURLs, fresh.SignInAudience
	tx.RecordEdit(sp, spBefore)
}

// DeleteApplication removes an application and, as Entra does in the home tenant, its service
// principal with everything pointing at it.
func (tx *Tx) DeleteApplication(objectID string) {
	a := tx.d.apps.get(objectID)
	tx.d.apps.remove(objectID)
	if a == nil {
		return
	}
	// A deleted application goes to deleted items, from which it can be restored: Graph's delta
	// reports it removed with reason "changed".
	tx.d.changes.removed(ChangeApplications, objectID, RemovedChanged)
	if sp := tx.ServicePrincipalByAppID(a.AppID); sp != nil {
		tx.DeleteServicePrincipal(sp.ID)
	}
}

// ConflictingProperty names the property ("uniqueName", "identifierUris") that another
// application already holds a value of next's for, or returns "".
func (tx *Tx) ConflictingProperty(next *Application) string {
	for _, other := range tx.d.apps {
		if other.ID == next.ID {
			continue
		}
		if next.UniqueName != nil && other.UniqueName != nil && strings.EqualFold(*next.UniqueName, *other.UniqueName) {
			return KeyUniqueName
		}
		for _, u := range next.IdentifierURIs {
			if containsFold(other.IdentifierURIs, u) {
				return "identifierUris"
			}
		}
	}
	return ""
}

// ServicePrincipal finds a service principal by object ID or appId.
func (tx *Tx) ServicePrincipal(k Key) *ServicePrincipal {
	return tx.d.sps.byKey(k, servicePrincipalKeys)
}

// ServicePrincipalByAppID finds the service principal of an appId.
func (tx *Tx) ServicePrincipalByAppID(appID string) *ServicePrincipal {
	return tx.ServicePrincipal(Key{By: KeyAppID, Value: appID})
}

// ServicePrincipalByIdentifier finds a service principal by appId or service principal name.
func (tx *Tx) ServicePrincipalByIdentifier(ident string) *ServicePrincipal {
	return tx.d.sps.find(func(sp *ServicePrincipal) bool { return sp.Names(ident) })
}

// GraphServicePrincipal is the Microsoft Graph service principal.
func (tx *Tx) GraphServicePrincipal() *ServicePrincipal { return tx.d.sps.get(tx.d.graphSPID) }

// ServicePrincipals lists every service principal, oldest first.
func (tx *Tx) ServicePrincipals() []*ServicePrincipal { return tx.d.sps.list() }

// AddServicePrincipal stores a new service principal created at.
func (tx *Tx) AddServicePrincipal(sp *ServicePrincipal, at time.Time) {
	tx.d.sps.add(sp.ID, sp, tx.stamp(at))
	tx.d.changes.created(ChangeServicePrincipals, sp.ID)
}

// DeleteServicePrincipal removes a service principal with the assignments and grants that name
// it.
func (tx *Tx) DeleteServicePrincipal(id string) {
	if tx.d.sps.get(id) != nil {
		tx.d.changes.removed(ChangeServicePrincipals, id, RemovedChanged)
	}
	tx.d.sps.remove(id)
	maps.DeleteFunc(tx.d.assignments, func(_ string, a *AppRoleAssignment) bool { return a.PrincipalID == id || a.ResourceID == id })
	maps.DeleteFunc(tx.d.grants, func(_ string, g *OAuth2PermissionGrant) bool { return g.ClientID == id || g.ResourceID == id })
}

// Assignment finds an app role assignment by ID.
func (tx *Tx) Assignment(id string) *AppRoleAssignment { return tx.d.assignments.get(id) }

// Assignments lists every app role assignment, oldest first.
func (tx *Tx) Assignments() []*AppRoleAssignment { return tx.d.assignments.list() }

// AddAssignment stores a new app role assignment created at.
func (tx *Tx) AddAssignment(a *AppRoleAssignment, at time.Time) {
	tx.d.assignments.add(a.ID, a, tx.stamp(at))
}

// DeleteAssignment removes an app role assignment.
func (tx *Tx) DeleteAssignment(id string) { tx.d.assignments.remove(id) }

// RolesOf lists the values of the resource's enabled app roles assigned to the principal, sorted
// for stable tokens.
func (tx *Tx) RolesOf(principalID string, resource *ServicePrincipal) []string {
	var out []string
	for _, a := range tx.d.assignments {
		if a.PrincipalID != principalID || a.ResourceID != resource.ID {
			continue
		}
		for _, role := range resource.AppRoles {
			if strings.EqualFold(role.ID, a.AppRoleID) && role.IsEnabled && !slices.Contains(out, role.Value) {
				out = append(out, role.Value)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Grant finds a delegated permission grant by ID.
func (tx *Tx) Grant(id string) *OAuth2PermissionGrant { return tx.d.grants.get(id) }

// Grants lists every delegated permission grant, oldest first.
func (tx *Tx) Grants() []*OAuth2PermissionGrant { return tx.d.grants.list() }

// AddGrant stores a new delegated permission grant created at.
func (tx *Tx) AddGrant(g *OAuth2PermissionGrant, at time.Time) {
	tx.d.grants.add(g.ID, g, tx.stamp(at))
}

// DeleteGrant removes a delegated permission grant.
func (tx *Tx) DeleteGrant(id string) { tx.d.grants.remove(id) }

// GrantedScopes is the set of delegated scopes consented for a client on a resource: the
// AllPrincipals grants plus the user's own.
func (tx *Tx) GrantedScopes(clientSPID, resourceID, userID string) []string {
	var out []string
	for _, g := range tx.d.grants {
		if g.ClientID != clientSPID || g.ResourceID != resourceID {
			continue
		}
		if g.ConsentType == "Principal" && (g.PrincipalID == nil || !strings.EqualFold(*g.PrincipalID, userID)) {
			continue
		}
		for _, s := range strings.Fields(g.Scope) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// User finds a test user by object ID or user principal name.
func (tx *Tx) User(idOrUPN string) *User {
	for i := range tx.d.users {
		u := &tx.d.users[i]
		if strings.EqualFold(u.ID, idOrUPN) || strings.EqualFold(u.UserPrincipalName, idOrUPN) {
			return u
		}
	}
	return nil
}

// Users lists the test users in seeding order.
func (tx *Tx) Users() []*User {
	out := make([]*User, 0, len(tx.d.users))
	for i := range tx.d.users {
		out = append(out, &tx.d.users[i])
	}
	return out
}

// table holds the objects of one kind by object ID (IDs are GUIDs, matched in any case).
type table[T any, P interface {
	*T
	Stamp() Stamp
	setStamp(Stamp)
}] map[string]P

func (t table[T, P]) get(id string) P { return t[strings.ToLower(id)] }

func (t table[T, P]) add(id string, obj P, s Stamp) {
	obj.setStamp(s)
	t[strings.ToLower(id)] = obj
}

func (t table[T, P]) remove(id string) { delete(t, strings.ToLower(id)) }

// alternateKeys reads, by key property, the value an object is addressed by.
type alternateKeys[P any] map[string]func(P) string

// byKey finds an object by object ID or by one of the kind's alternate keys (case-insensitive, as
// Graph matches them); a key the kind does not have finds nothing.
func (t table[T, P]) byKey(k Key, alternates alternateKeys[P]) P {
	if k.is(KeyID) {
		return t.get(k.Value)
	}
	for property, value := range alternates {
		if k.is(property) {
			return t.find(func(obj P) bool { v := value(obj); return v != "" && strings.EqualFold(v, k.Value) })
		}
	}
	return nil
}

// find returns an object match accepts, or nil.
func (t table[T, P]) find(match func(P) bool) P {
	for _, v := range t {
		if match(v) {
			return v
		}
	}
	return nil
}

// list returns every object in creation order.
func (t table[T, P]) list() []P {
	out := slices.Collect(maps.Values(t))
	slices.SortFunc(out, func(a, b P) int { return cmp.Compare(a.Stamp().Seq, b.Stamp().Seq) })
	return out
}

// Registry is the emulator's tenants, in creation order.
type Registry struct {
	list []*Directory
	byID map[string]*Directory
}

// NewRegistry returns a registry of the given tenants; their IDs must differ.
func NewRegistry(dirs ...*Directory) (*Registry, error) {
	r := &Registry{byID: map[string]*Directory{}}
	for _, d := range dirs {
		if _, dup := r.byID[d.id]; dup {
			return nil, fmt.Errorf("tenant ID %s given twice", d.id)
		}
		r.list = append(r.list, d)
		r.byID[d.id] = d
	}
	return r, nil
}

// All returns the tenants in creation order.
func (r *Registry) All() []*Directory { return slices.Clone(r.list) }

// ByID returns the tenant with this ID (any case), or nil.
func (r *Registry) ByID(id string) *Directory { return r.byID[strings.ToLower(id)] }

// ByDomain returns the tenant whose initial domain is domain, or nil.
func (r *Registry) ByDomain(domain string) *Directory {
	i := slices.IndexFunc(r.list, func(d *Directory) bool { return strings.EqualFold(d.domain, domain) })
	if i < 0 {
		return nil
	}
	return r.list[i]
}

// OfClient finds the tenant that registered clientID, for the multi-tenant authority aliases
// (/common, /organizations).
func (r *Registry) OfClient(clientID string) *Directory {
	for _, d := range r.list {
		found := false
		d.Do(func(tx *Tx) { found = tx.ApplicationByAppID(clientID) != nil })
		if found {
			return d
		}
	}
	return nil
}
