package directory

import (
	"crypto/x509"
	"time"
)

// The types in this file are the emulator's directory model. Their JSON tags are Graph's camelCase
// property names, so an object serializes straight into a Graph response body and a request body
// decodes straight into it. Values that Graph never returns (secret hashes, certificates, the
// creation stamp) live in unexported fields, which JSON ignores.

// Values of the directory model's enumerations.
const (
	// ServicePrincipalTypeApplication is servicePrincipal.servicePrincipalType of an application's
	// service principal.
	ServicePrincipalTypeApplication = "Application"
	// PrincipalTypeServicePrincipal and PrincipalTypeUser are appRoleAssignment.principalType.
	PrincipalTypeServicePrincipal = "ServicePrincipal"
	PrincipalTypeUser             = "User"
	// MemberTypeUser and MemberTypeApplication are appRole.allowedMemberTypes.
	MemberTypeUser        = "User"
	MemberTypeApplication = "Application"
	// ScopeTypeUser and ScopeTypeAdmin are permissionScope.type.
	ScopeTypeUser  = "User"
	ScopeTypeAdmin = "Admin"
	// AccessTypeScope (a delegated permission) and AccessTypeRole (an app role) are
	// resourceAccess.type.
	AccessTypeScope = "Scope"
	AccessTypeRole  = "Role"
	// originApplication is the origin of permissions the application defines.
	originApplication = "Application"
)

// The values of application.signInAudience.
const (
	SignInAudienceMyOrg                    = "AzureADMyOrg"
	SignInAudienceMultipleOrgs             = "AzureADMultipleOrgs"
	SignInAudienceMultipleOrgsAndPersonal  = "AzureADandPersonalMicrosoftAccount"
	SignInAudiencePersonalMicrosoftAccount = "PersonalMicrosoftAccount"
)

// Application is a Graph application object (an "app registration").
type Application struct {
	ID                         string                   `json:"id"`
	AppID                      string                   `json:"appId"`
	UniqueName                 *string                  `json:"uniqueName"`
	DisplayName                string                   `json:"displayName"`
	Description                *string                  `json:"description"`
	SignInAudience             string                   `json:"signInAudience"`
	CreatedDateTime            time.Time                `json:"createdDateTime"`
	PublisherDomain            string                   `json:"publisherDomain"`
	ServiceManagementReference *string                  `json:"serviceManagementReference"`
	DefaultRedirectURI         *string                  `json:"defaultRedirectUri"`
	IsDeviceOnlyAuthSupported  *bool                    `json:"isDeviceOnlyAuthSupported"`
	Web                        WebApplication           `json:"web"`
	Spa                        SpaApplication           `json:"spa"`
	PublicClient               PublicClientApplication  `json:"publicClient"`
	IsFallbackPublicClient     *bool                    `json:"isFallbackPublicClient"`
	OptionalClaims             *OptionalClaims          `json:"optionalClaims"`
	GroupMembershipClaims      *string                  `json:"groupMembershipClaims"`
	IdentifierURIs             []string                 `json:"identifierUris"`
	RequiredResourceAccess     []RequiredResourceAccess `json:"requiredResourceAccess"`
	PasswordCredentials        []PasswordCredential     `json:"passwordCredentials"`
	KeyCredentials             []KeyCredential          `json:"keyCredentials"`
	API                        APIApplication           `json:"api"`
	AppRoles                   []AppRole                `json:"appRoles"`
	Tags                       []string                 `json:"tags"`
	Notes                      *string                  `json:"notes"`
	Info                       InformationalURL         `json:"info"`

	// Owners are the object IDs of the service principals and users that own
	// the application. Graph exposes them as the navigation property
	// /applications/{id}/owners, not in the entity body.
	Owners []string `json:"-"`
	// FederatedIdentityCredentials is the navigation property
	// /applications/{id}/federatedIdentityCredentials.
	FederatedIdentityCredentials []FederatedIdentityCredential `json:"-"`

	record
}

// record is the directory's bookkeeping of an object it stores, which Graph does not expose.
type record struct{ stamp Stamp }

// Stamp is when and in which order the directory created the object.
func (r *record) Stamp() Stamp { return r.stamp }

func (r *record) setStamp(s Stamp) { r.stamp = s }

// Stamp is when and in which order the directory created an object.
type Stamp struct {
	// Seq orders objects by creation, for paging: a $skiptoken is the Seq of a page's last item.
	Seq int64
	// Created is the emulator clock's time of creation; the visibility rule (replication lag)
	// hides the object from reads for a while after it.
	Created time.Time
}

// WebApplication is application.web.
type WebApplication struct {
	HomePageURL           *string               `json:"homePageUrl"`
	LogoutURL             *string               `json:"logoutUrl"`
	RedirectURIs          []string              `json:"redirectUris"`
	RedirectURISettings   []RedirectURISettings `json:"redirectUriSettings"`
	ImplicitGrantSettings ImplicitGrantSettings `json:"implicitGrantSettings"`
}

// RedirectURISettings is one entry of web.redirectUriSettings.
type RedirectURISettings struct {
	URI   *string `json:"uri"`
	Index *int32  `json:"index"`
}

// ImplicitGrantSettings is web.implicitGrantSettings.
type ImplicitGrantSettings struct {
	EnableIDTokenIssuance     bool `json:"enableIdTokenIssuance"`
	EnableAccessTokenIssuance bool `json:"enableAccessTokenIssuance"`
}

// SpaApplication is application.spa.
type SpaApplication struct {
	RedirectURIs []string `json:"redirectUris"`
}

// PublicClientApplication is application.publicClient.
type PublicClientApplication struct {
	RedirectURIs []string `json:"redirectUris"`
}

// OptionalClaims is application.optionalClaims.
type OptionalClaims struct {
	IDToken     []OptionalClaim `json:"idToken"`
	AccessToken []OptionalClaim `json:"accessToken"`
	Saml2Token  []OptionalClaim `json:"saml2Token"`
}

// OptionalClaim is one optional claim request.
type OptionalClaim struct {
	Name                 string   `json:"name"`
	Source               *string  `json:"source"`
	Essential            bool     `json:"essential"`
	AdditionalProperties []string `json:"additionalProperties"`
}

// RequiredResourceAccess lists the permissions an application declares on one
// resource (the "API permissions" blade).
type RequiredResourceAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// ResourceAccess is one permission: Type "Scope" (delegated) or "Role"
// (application), ID from the resource's oauth2PermissionScopes or appRoles.
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// PasswordCredential is a client secret. SecretText is only ever non-nil in
// the addPassword response; the emulator keeps a hash of the value.
type PasswordCredential struct {
	CustomKeyIdentifier *string    `json:"customKeyIdentifier"`
	DisplayName         *string    `json:"displayName"`
	EndDateTime         *time.Time `json:"endDateTime"`
	Hint                *string    `json:"hint"`
	KeyID               string     `json:"keyId"`
	SecretText          *string    `json:"secretText"`
	StartDateTime       *time.Time `json:"startDateTime"`

	secretHash [32]byte
}

// KeyCredential is a certificate credential. Key (base64 DER) is accepted on
// writes but, as in Graph, never returned by a GET.
type KeyCredential struct {
	CustomKeyIdentifier *string    `json:"customKeyIdentifier"`
	DisplayName         *string    `json:"displayName"`
	EndDateTime         *time.Time `json:"endDateTime"`
	Key                 *string    `json:"key"`
	KeyID               string     `json:"keyId"`
	StartDateTime       *time.Time `json:"startDateTime"`
	Type                string     `json:"type"`
	Usage               string     `json:"usage"`

	cert *x509.Certificate
}

// APIApplication is application.api.
type APIApplication struct {
	AcceptMappedClaims          *bool                      `json:"acceptMappedClaims"`
	KnownClientApplications     []string                   `json:"knownClientApplications"`
	OAuth2PermissionScopes      []PermissionScope          `json:"oauth2PermissionScopes"`
	PreAuthorizedApplications   []PreAuthorizedApplication `json:"preAuthorizedApplications"`
	RequestedAccessTokenVersion *int32                     `json:"requestedAccessTokenVersion"`
}

// PreAuthorizedApplication is one entry of api.preAuthorizedApplications.
type PreAuthorizedApplication struct {
	AppID                  string   `json:"appId"`
	DelegatedPermissionIDs []string `json:"delegatedPermissionIds"`
}

// PermissionScope is a delegated permission an API exposes.
type PermissionScope struct {
	ID                      string  `json:"id"`
	Value                   string  `json:"value"`
	Type                    string  `json:"type"`
	IsEnabled               bool    `json:"isEnabled"`
	AdminConsentDisplayName *string `json:"adminConsentDisplayName"`
	AdminConsentDescription *string `json:"adminConsentDescription"`
	UserConsentDisplayName  *string `json:"userConsentDisplayName"`
	UserConsentDescription  *string `json:"userConsentDescription"`
	Origin                  *string `json:"origin"`
}

// AppRole is an application permission (or a role assignable to users).
type AppRole struct {
	ID                 string   `json:"id"`
	Value              string   `json:"value"`
	DisplayName        string   `json:"displayName"`
	Description        string   `json:"description"`
	IsEnabled          bool     `json:"isEnabled"`
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	Origin             *string  `json:"origin"`
}

// InformationalURL is application.info.
type InformationalURL struct {
	LogoURL             *string `json:"logoUrl"`
	MarketingURL        *string `json:"marketingUrl"`
	PrivacyStatementURL *string `json:"privacyStatementUrl"`
	SupportURL          *string `json:"supportUrl"`
	TermsOfServiceURL   *string `json:"termsOfServiceUrl"`
}

// FederatedIdentityCredential trusts tokens from an external issuer
// (workload identity federation).
type FederatedIdentityCredential struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	Subject     string   `json:"subject"`
	Audiences   []string `json:"audiences"`
	Description *string  `json:"description"`
}

// ServicePrincipal is the instance of an application in a tenant; app role
// assignments and delegated grants point at service principals.
type ServicePrincipal struct {
	ID                        string            `json:"id"`
	AppID                     string            `json:"appId"`
	DisplayName               string            `json:"displayName"`
	AppDisplayName            string            `json:"appDisplayName"`
	AppOwnerOrganizationID    string            `json:"appOwnerOrganizationId"`
	AccountEnabled            bool              `json:"accountEnabled"`
	AppRoleAssignmentRequired bool              `json:"appRoleAssignmentRequired"`
	ServicePrincipalNames     []string          `json:"servicePrincipalNames"`
	ServicePrincipalType      string            `json:"servicePrincipalType"`
	SignInAudience            string            `json:"signInAudience"`
	AppRoles                  []AppRole         `json:"appRoles"`
	OAuth2PermissionScopes    []PermissionScope `json:"oauth2PermissionScopes"`
	ReplyURLs                 []string          `json:"replyUrls"`
	Tags                      []string          `json:"tags"`
	Notes                     *string           `json:"notes"`

	// Owners are object IDs of the principals that own this service
	// principal (navigation property /servicePrincipals/{id}/owners).
	Owners []string `json:"-"`

	record
}

// AppRoleAssignment grants an app role of a resource service principal to a
// principal (application permission consent).
type AppRoleAssignment struct {
	ID                   string    `json:"id"`
	AppRoleID            string    `json:"appRoleId"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
	DeletedDateTime      *string   `json:"deletedDateTime"`
	PrincipalDisplayName string    `json:"principalDisplayName"`
	PrincipalID          string    `json:"principalId"`
	PrincipalType        string    `json:"principalType"`
	ResourceDisplayName  string    `json:"resourceDisplayName"`
	ResourceID           string    `json:"resourceId"`

	record
}

// OAuth2PermissionGrant is delegated permission consent: ClientID and
// ResourceID are service principal object IDs, Scope is space separated.
type OAuth2PermissionGrant struct {
	ID          string  `json:"id"`
	ClientID    string  `json:"clientId"`
	ConsentType string  `json:"consentType"`
	PrincipalID *string `json:"principalId"`
	ResourceID  string  `json:"resourceId"`
	Scope       string  `json:"scope"`

	record
}

// User is a seeded test user that the authorize endpoint signs in.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
	DisplayName       string `json:"displayName"`
	GivenName         string `json:"givenName"`
	Surname           string `json:"surname"`

	// GlobalAdministrator is whether the user holds the Global Administrator directory role, which
	// admin consent requires. (Graph lists directory roles under /users/{id}/memberOf, which the
	// emulator does not serve.)
	GlobalAdministrator bool `json:"-"`
}
