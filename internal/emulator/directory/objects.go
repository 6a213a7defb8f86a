package directory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// OwnedBy reports whether the principal with this object ID owns the application.
func (a *Application) OwnedBy(objectID string) bool { return containsFold(a.Owners, objectID) }

// OwnedBy reports whether the principal with this object ID owns the service principal.
func (sp *ServicePrincipal) OwnedBy(objectID string) bool { return containsFold(sp.Owners, objectID) }

func containsFold(list []string, s string) bool {
	return s != "" && slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

// Key addresses an entity: by object ID or by an alternate key, as Graph paths do
// (applications/{id}, applications(appId='..'), applications(uniqueName='..')).
type Key struct {
	// By is the key property: "id", "appId", "uniqueName", "name".
	By    string
	Value string
}

// The key properties the directory finds objects by.
const (
	KeyID         = "id"
	KeyAppID      = "appId"
	KeyUniqueName = "uniqueName"
)

// ByID is the key of the object with this ID.
func ByID(id string) Key { return Key{By: KeyID, Value: id} }

func (k Key) String() string {
	if k.By == KeyID {
		return k.Value
	}
	return fmt.Sprintf("%s='%s'", k.By, k.Value)
}

// is reports whether the key is by the named property (case-insensitive, as Graph's URLs are).
func (k Key) is(property string) bool { return strings.EqualFold(k.By, property) }

// NewServicePrincipalFor derives a service principal from its application, as Entra does on
// POST /servicePrincipals in the application's home tenant.
func NewServicePrincipalFor(a *Application, tenantID string) *ServicePrincipal {
	names := append([]string{a.AppID}, a.IdentifierURIs...)
	reply := slices.Concat(a.Web.RedirectURIs, a.Spa.RedirectURIs, a.PublicClient.RedirectURIs)
	sp := &ServicePrincipal{
		ID: uuid.NewString(), AppID: a.AppID, DisplayName: a.DisplayName, AppDisplayName: a.DisplayName,
		AppOwnerOrganizationID: tenantID, AccountEnabled: true, ServicePrincipalNames: names,
		ServicePrincipalType: ServicePrincipalTypeApplication, SignInAudience: a.SignInAudience,
		AppRoles: slices.Clone(a.AppRoles), OAuth2PermissionScopes: slices.Clone(a.API.OAuth2PermissionScopes),
		ReplyURLs: reply, Tags: []string{},
	}
	NormalizeServicePrincipal(sp)
	return sp
}

// Names reports whether an identifier names the service principal: an SPN match, tolerant of a
// trailing slash and of case.
func (sp *ServicePrincipal) Names(identifier string) bool {
	want := strings.TrimSuffix(strings.ToLower(identifier), "/")
	return slices.ContainsFunc(sp.ServicePrincipalNames, func(n string) bool {
		return strings.TrimSuffix(strings.ToLower(n), "/") == want
	})
}

// EmptyApplication is an application with every collection present and empty: the base a create
// merges into, and the shape $select is checked against.
func EmptyApplication() *Application {
	a := &Application{}
	NormalizeApplication(a)
	return a
}

// EmptyServicePrincipal is a service principal with every collection present and empty.
func EmptyServicePrincipal() *ServicePrincipal {
	sp := &ServicePrincipal{}
	NormalizeServicePrincipal(sp)
	return sp
}

// NormalizeApplication replaces nil collections with empty ones so responses show [] like Graph,
// never null.
func NormalizeApplication(a *Application) {
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
	nonNil(&a.Owners)
}

// NormalizeServicePrincipal replaces nil collections with empty ones.
func NormalizeServicePrincipal(sp *ServicePrincipal) {
	nonNil(&sp.ServicePrincipalNames)
	nonNil(&sp.AppRoles)
	nonNil(&sp.OAuth2PermissionScopes)
	nonNil(&sp.ReplyURLs)
	nonNil(&sp.Tags)
	nonNil(&sp.Owners)
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// CloneApplication deep-copies an application, including what JSON does not carry: owners,
// federated credentials, secret hashes, certificates and the stamp.
func CloneApplication(a *Application) Application {
	out := cloneJSON(a)
	out.record = a.record
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

func cloneServicePrincipal(sp *ServicePrincipal) ServicePrincipal {
	out := cloneJSON(sp)
	out.record = sp.record
	out.Owners = slices.Clone(sp.Owners)
	return out
}

func cloneAssignment(a *AppRoleAssignment) AppRoleAssignment {
	out := cloneJSON(a)
	out.record = a.record
	return out
}

func cloneGrant(g *OAuth2PermissionGrant) OAuth2PermissionGrant {
	out := cloneJSON(g)
	out.record = g.record
	return out
}

// cloneJSON deep-copies the JSON-visible part of a value; the typed clones above add the rest.
func cloneJSON[T any](v *T) T {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		// Every model type round-trips through JSON; failing here is a bug.
		panic(fmt.Sprintf("directory: clone %T: %v", v, err))
	}
	return out
}
