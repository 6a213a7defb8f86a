package graph

import "context"

// The operator names an application by its unique name everywhere: the name is derived from the
// AppRegistration's UID, set when the application is created and immutable afterwards, so a call
// addressed by it can only ever reach the application that object manages. Object and app IDs are
// read from Graph in the same reconcile, never taken from status.

// Applications is the application registration concept.
type Applications interface {
	// GetApplication reads the managed fields of the application with this unique name.
	GetApplication(ctx context.Context, uniqueName string) (Application, error)
	// UpsertApplication creates the application with the given unique name, or updates the one that
	// already has it, in one idempotent request: a retry after a crash finds the first application
	// instead of making a second. created says which happened; the returned application is complete
	// only when created (Graph answers an update with no body).
	UpsertApplication(ctx context.Context, uniqueName string, app Application) (result Application, created bool, err error)
	// UpdateApplication writes the given fields of app to the application with this unique name.
	UpdateApplication(ctx context.Context, uniqueName string, app Application, fields []Field) error
	// DeleteApplication deletes the application with this unique name; Entra deletes its service
	// principal with it.
	DeleteApplication(ctx context.Context, uniqueName string) error

	// An adopted application (made outside the operator) has no unique name of the operator's: it
	// is addressed by the app ID its AppRegistration's spec names, and every use first checks the
	// ownership tag the operator wrote on it (controllers/adoption.go).

	// GetApplicationByAppID reads the managed fields and the tags of the application with this
	// app ID.
	GetApplicationByAppID(ctx context.Context, appID string) (Application, error)
	// UpdateApplicationByAppID writes the given fields (FieldTags among them) of app to the
	// application with this app ID.
	UpdateApplicationByAppID(ctx context.Context, appID string, app Application, fields []Field) error
	// DeleteApplicationByAppID deletes the application with this app ID.
	DeleteApplicationByAppID(ctx context.Context, appID string) error
}

// ServicePrincipal is an application's instance in the tenant.
type ServicePrincipal struct {
	ObjectID string
	AppID    string
}

// ServicePrincipals is the service principal concept.
type ServicePrincipals interface {
	// GetServicePrincipal finds the service principal of the application with this app ID.
	GetServicePrincipal(ctx context.Context, appID string) (ServicePrincipal, error)
	// CreateServicePrincipal creates the service principal of app, an application just read from
	// Graph (its AppID names the service principal, its UniqueName serializes the write).
	CreateServicePrincipal(ctx context.Context, app Application) (ServicePrincipal, error)
}

// Client is what the operator needs from Microsoft Graph in one tenant. Errors are *Error, or wrap
// one, and satisfy errors.Is(err, ErrNotFound) for 404s.
type Client interface {
	// TenantID is the tenant the client works in.
	TenantID() string
	Applications
	ServicePrincipals
	Resources
	DelegatedGrants
	AppRoleAssignments
	Credentials
	FederatedCredentials
}
