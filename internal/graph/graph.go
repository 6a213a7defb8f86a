// Package graph is what the operator knows about Microsoft Graph, in plain Go: the types it manages
// (Application, ServicePrincipal), one small interface per Graph concept, the error kinds that decide
// the operator's next step, and the Graph permission each operation needs. It imports no SDK: the
// msgraph-sdk-go adapter lives in graph/msgraph, so pure planners and their tests never compile the SDK.
package graph

// Application is the part of an Entra application registration the operator manages.
type Application struct {
	ObjectID   string
	AppID      string
	UniqueName string
	// Tags are read only for adopted applications (GetApplicationByAppID).
	Tags                     []string
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
	// RequiredResourceAccess are the API permissions the application declares, per resource.
	RequiredResourceAccess []ResourceAccess

	// PasswordCredentials and KeyCredentials are read with the application, so that a resync of
	// credentials that need nothing costs no extra request. The operator never writes them as
	// fields of the application (see Credentials).
	PasswordCredentials []PasswordCredential
	KeyCredentials      []KeyCredential
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
	// FieldRequiredResourceAccess is the application's declared API permissions, written whole.
	FieldRequiredResourceAccess Field = "requiredResourceAccess"
	// FieldTags is the application's tags. Not a managed field: the operator writes it only to mark
	// an application it adopts as its own, keeping every other tag.
	FieldTags Field = "tags"
)

// ManagedFields are all fields the operator writes, in a stable order.
var ManagedFields = []Field{
	FieldDisplayName, FieldSignInAudience, FieldWeb, FieldSPA, FieldPublicClient,
	FieldIsFallbackPublicClient, FieldOptionalClaims, FieldGroupMembershipClaims, FieldAPI,
	FieldRequiredResourceAccess,
}
