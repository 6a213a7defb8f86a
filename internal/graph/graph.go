// Package graph is the operator's only door to Microsoft Graph. It speaks in small, plain Go types
// (Application, ServicePrincipal) so that the rest of the operator, and its tests, never see the SDK's
// generated models; only this package imports msgraph-sdk-go.
package graph

import "context"

// Application is the part of an Entra application registration the operator manages.
type Application struct {
	ObjectID                 string
	AppID                    string
	UniqueName               string
	DisplayName              string
	SignInAudience           string
	Web                      Web
	SPARedirectURIs          []string
	PublicClientRedirectURIs []string
	// IsFallbackPublicClient is Graph's name for "allow public client flows".
	IsFallbackPublicClient bool
	OptionalClaims         OptionalClaims
	GroupMembershipClaims  string
	// AccessTokenVersion is api.requestedAccessTokenVersion; 0 leaves it as it is.
	AccessTokenVersion int32
}

// Web is the application's web platform: redirect URIs and front-channel settings.
type Web struct {
	RedirectURIs         []string
	HomePageURL          string
	LogoutURL            string
	ImplicitIDTokens     bool
	ImplicitAccessTokens bool
}

// OptionalClaims lists the optional claims per kind of token.
type OptionalClaims struct {
	IDToken     []OptionalClaim
	AccessToken []OptionalClaim
	SAML2Token  []OptionalClaim
}

// OptionalClaim is one optional claim.
type OptionalClaim struct {
	Name                 string
	Essential            bool
	AdditionalProperties []string
}

// Field is one top-level property of an application that the operator writes as a whole. Complex
// properties (web, optionalClaims) are always sent complete, so a PATCH never depends on how Graph
// merges nested objects.
type Field string

// The fields the operator manages, by their Graph names.
const (
	FieldDisplayName            Field = "displayName"
	FieldSignInAudience         Field = "signInAudience"
	FieldWeb                    Field = "web"
	FieldSPA                    Field = "spa"
	FieldPublicClient           Field = "publicClient"
	FieldIsFallbackPublicClient Field = "isFallbackPublicClient"
	FieldOptionalClaims         Field = "optionalClaims"
	FieldGroupMembershipClaims  Field = "groupMembershipClaims"
	// FieldAPI is written as {"api": {"requestedAccessTokenVersion": N}} only: Graph merges the
	// properties of api it is given and keeps the rest (exposed scopes, pre-authorized apps).
	FieldAPI Field = "api"
)

// ManagedFields are all fields the operator writes, in a stable order.
var ManagedFields = []Field{
	FieldDisplayName, FieldSignInAudience, FieldWeb, FieldSPA, FieldPublicClient,
	FieldIsFallbackPublicClient, FieldOptionalClaims, FieldGroupMembershipClaims, FieldAPI,
}

// ApplicationRef finds an application by object ID or, failing that, by its unique name.
type ApplicationRef struct {
	ObjectID   string
	UniqueName string
}

// ServicePrincipal is an application's instance in the tenant.
type ServicePrincipal struct {
	ObjectID string
	AppID    string
}

// Client is what the operator needs from Microsoft Graph for one tenant. Errors are *Error, or wrap
// one, and satisfy errors.Is(err, ErrNotFound) for 404s.
type Client interface {
	// TenantID is the tenant the client works in.
	TenantID() string
	// UpsertApplication creates the application with the given unique name, or updates the one that
	// already has it, in one idempotent request: a retry after a crash finds the first application
	// instead of making a second. created says which happened; the returned application is complete
	// only when created (Graph answers an update with no body).
	UpsertApplication(ctx context.Context, uniqueName string, app Application) (result Application, created bool, err error)
	// GetApplication reads the managed fields of an application.
	GetApplication(ctx context.Context, ref ApplicationRef) (Application, error)
	// UpdateApplication writes the given fields of app to the application.
	UpdateApplication(ctx context.Context, objectID string, app Application, fields []Field) error
	// DeleteApplication deletes the application; Entra deletes its service principal with it.
	DeleteApplication(ctx context.Context, ref ApplicationRef) error
	// GetServicePrincipal finds the service principal of an application.
	GetServicePrincipal(ctx context.Context, appID string) (ServicePrincipal, error)
	// CreateServicePrincipal creates the service principal of an application.
	CreateServicePrincipal(ctx context.Context, appID string) (ServicePrincipal, error)
}
