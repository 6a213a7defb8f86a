package graph

import "context"

// What consent needs from Graph: the permissions a resource publishes (to turn names into IDs), the
// application's declared permissions (requiredResourceAccess, a field of Application), and the two
// kinds of tenant-wide consent on the application's own service principal.

// ResourceAccess is one resource's entry in an application's requiredResourceAccess: the
// permissions the application declares on it, by ID.
type ResourceAccess struct {
	// ResourceAppID is the resource's application ID.
	ResourceAppID string
	// ScopeIDs are delegated permissions (resourceAccess type Scope).
	ScopeIDs []string
	// RoleIDs are application permissions (resourceAccess type Role).
	RoleIDs []string
}

// Permission is one permission a resource publishes: a delegated permission (oauth2PermissionScope)
// or an application permission (an app role applications may hold).
type Permission struct {
	ID      string
	Value   string
	Enabled bool
}

// Resource is a resource's service principal, as far as consent needs it.
type Resource struct {
	// ObjectID is the service principal's object ID, which grants and assignments name.
	ObjectID    string
	AppID       string
	DisplayName string
	// Scopes are the delegated permissions it publishes.
	Scopes []Permission
	// Roles are the app roles applications may hold (allowedMemberTypes includes Application).
	Roles []Permission
}

// DelegatedGrant is a tenant-wide delegated permission grant (an oauth2PermissionGrant with
// consentType AllPrincipals): the client may use Scopes on Resource on behalf of every user. Entra
// keeps at most one per client and resource; it is what "Grant admin consent" in the portal writes.
type DelegatedGrant struct {
	ID string
	// ClientID and ResourceID are service principal object IDs.
	ClientID   string
	ResourceID string
	Scopes     []string
}

// AppRoleAssignment grants an application permission (app role AppRoleID of the resource service
// principal ResourceID) to the service principal PrincipalID.
type AppRoleAssignment struct {
	ID          string
	PrincipalID string
	ResourceID  string
	AppRoleID   string
}

// Resources reads the service principals of APIs an application asks permissions of.
type Resources interface {
	// GetResource reads the service principal of the resource application appID with the permissions
	// it publishes. errors.Is(err, ErrNotFound) when the tenant has none.
	GetResource(ctx context.Context, appID string) (Resource, error)
}

// The writes below take the unique name of the application they are made for: writes for one
// application are serialized, as Graph answers concurrent writes with 409.

// DelegatedGrants is tenant-wide delegated consent.
type DelegatedGrants interface {
	// ListDelegatedGrants lists the tenant-wide grants whose client is the service principal clientID.
	ListDelegatedGrants(ctx context.Context, clientID string) ([]DelegatedGrant, error)
	// CreateDelegatedGrant creates a tenant-wide grant of g.Scopes on g.ResourceID to g.ClientID.
	CreateDelegatedGrant(ctx context.Context, uniqueName string, g DelegatedGrant) (DelegatedGrant, error)
	// UpdateDelegatedGrant replaces the scopes of the grant with this ID.
	UpdateDelegatedGrant(ctx context.Context, uniqueName, id string, scopes []string) error
	// DeleteDelegatedGrant deletes the grant with this ID; one already gone is not an error.
	DeleteDelegatedGrant(ctx context.Context, uniqueName, id string) error
}

// AppRoleAssignments is application permission consent.
type AppRoleAssignments interface {
	// ListAppRoleAssignments lists the app roles assigned to the service principal principalID.
	ListAppRoleAssignments(ctx context.Context, principalID string) ([]AppRoleAssignment, error)
	// AssignAppRole assigns a.AppRoleID of a.ResourceID to a.PrincipalID.
	AssignAppRole(ctx context.Context, uniqueName string, a AppRoleAssignment) (AppRoleAssignment, error)
	// RemoveAppRoleAssignment removes the assignment a (a.ID of a.PrincipalID); one already gone is
	// not an error.
	RemoveAppRoleAssignment(ctx context.Context, uniqueName string, a AppRoleAssignment) error
}
