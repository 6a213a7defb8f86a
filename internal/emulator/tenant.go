package emulator

import (
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/graphapi"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/identity"
)

// Tenant is one emulated Entra tenant as tests see it: its directory (the objects, the seeded
// operator application and test users, and the methods to read and change them behind the
// operator's back) and its identity platform URLs.
type Tenant struct {
	*directory.Directory
	baseURL string
}

// Issuer is the v2.0 issuer of this tenant's tokens.
func (t *Tenant) Issuer() string { return identity.Issuer(t.baseURL, t.ID()) }

// SetDefaultAppManagementPolicy replaces the tenant's default app management policy, as an
// administrator would with PATCH /policies/defaultAppManagementPolicy, after checking it with the
// same rules. The emulator then refuses client secrets and certificates it forbids, with Graph's
// error codes.
func (t *Tenant) SetDefaultAppManagementPolicy(p TenantAppManagementPolicy) error {
	if gerr := graphapi.ValidateAppManagementPolicy(&p); gerr != nil {
		return gerr
	}
	t.Directory.SetDefaultAppManagementPolicy(p)
	return nil
}

// Endpoints returns the tenant's identity platform URLs.
func (t *Tenant) Endpoints() Endpoints { return identity.EndpointsOf(t.baseURL, t.ID()) }

// Endpoints are a tenant's identity platform URLs, as published in its discovery document.
type Endpoints = identity.Endpoints

// The switchable failure modes and the request counters (see package faults).
type (
	// Behaviour switches on the ways real Entra misbehaves.
	Behaviour = faults.Behaviour
	// ThrottleConfig sizes Graph's write token buckets.
	ThrottleConfig = faults.ThrottleConfig
	// Counters is a snapshot of the requests served.
	Counters = faults.Counters
)

// GraphThrottleLimits returns Graph's documented write limits for the identity and access service
// (applications, service principals).
func GraphThrottleLimits() *ThrottleConfig { return faults.GraphThrottleLimits() }

// ErrNotFound is returned by Tenant methods addressing a missing object.
var ErrNotFound = directory.ErrNotFound

// Well-known application IDs of Microsoft first-party resources.
const (
	MicrosoftGraphAppID = directory.MicrosoftGraphAppID
	ExchangeOnlineAppID = directory.ExchangeOnlineAppID
)

// Microsoft Graph application permissions (app roles) the emulator enforces.
const (
	RoleApplicationReadAll            = directory.RoleApplicationReadAll
	RoleApplicationReadWriteAll       = directory.RoleApplicationReadWriteAll
	RoleApplicationReadWriteOwnedBy   = directory.RoleApplicationReadWriteOwnedBy
	RoleAppRoleAssignmentReadWriteAll = directory.RoleAppRoleAssignmentReadWriteAll
	RoleDelegatedPermissionGrantRWAll = directory.RoleDelegatedPermissionGrantRWAll
	RoleDirectoryReadAll              = directory.RoleDirectoryReadAll
	RoleUserReadAll                   = directory.RoleUserReadAll
	RoleUserReadWriteAll              = directory.RoleUserReadWriteAll
	RolePolicyReadAll                 = directory.RolePolicyReadAll
	RolePolicyReadWriteAppConfig      = directory.RolePolicyReadWriteAppConfig
)

// The directory model (see package directory): Graph's entity types, whose JSON is Graph's.
type (
	// Application is an application object (an app registration).
	Application = directory.Application
	// WebApplication is application.web.
	WebApplication = directory.WebApplication
	// RedirectURISettings is one entry of web.redirectUriSettings.
	RedirectURISettings = directory.RedirectURISettings
	// ImplicitGrantSettings is web.implicitGrantSettings.
	ImplicitGrantSettings = directory.ImplicitGrantSettings
	// SpaApplication is application.spa.
	SpaApplication = directory.SpaApplication
	// PublicClientApplication is application.publicClient.
	PublicClientApplication = directory.PublicClientApplication
	// OptionalClaims is application.optionalClaims.
	OptionalClaims = directory.OptionalClaims
	// OptionalClaim is one optional claim request.
	OptionalClaim = directory.OptionalClaim
	// RequiredResourceAccess lists the permissions an application declares on one resource.
	RequiredResourceAccess = directory.RequiredResourceAccess
	// ResourceAccess is one declared permission: a delegated scope or an app role.
	ResourceAccess = directory.ResourceAccess
	// PasswordCredential is a client secret.
	PasswordCredential = directory.PasswordCredential
	// KeyCredential is a certificate credential.
	KeyCredential = directory.KeyCredential
	// APIApplication is application.api.
	APIApplication = directory.APIApplication
	// PreAuthorizedApplication is one entry of api.preAuthorizedApplications.
	PreAuthorizedApplication = directory.PreAuthorizedApplication
	// PermissionScope is a delegated permission an API exposes.
	PermissionScope = directory.PermissionScope
	// AppRole is an application permission, or a role assignable to users.
	AppRole = directory.AppRole
	// InformationalURL is application.info.
	InformationalURL = directory.InformationalURL
	// FederatedIdentityCredential trusts tokens from an external issuer.
	FederatedIdentityCredential = directory.FederatedIdentityCredential
	// ServicePrincipal is the instance of an application in a tenant.
	ServicePrincipal = directory.ServicePrincipal
	// AppRoleAssignment grants an app role of a resource to a principal.
	AppRoleAssignment = directory.AppRoleAssignment
	// OAuth2PermissionGrant is delegated permission consent.
	OAuth2PermissionGrant = directory.OAuth2PermissionGrant
	// User is a seeded test user.
	User = directory.User
	// TenantAppManagementPolicy is the tenant's default app management policy.
	TenantAppManagementPolicy = directory.TenantAppManagementPolicy
	// AppManagementConfiguration lists a policy's restrictions on secrets and certificates.
	AppManagementConfiguration = directory.AppManagementConfiguration
	// CredentialRestriction is one restriction of an app management policy.
	CredentialRestriction = directory.CredentialRestriction
)

// The restriction types of an app management policy the emulator enforces.
const (
	RestrictPasswordAddition      = directory.RestrictPasswordAddition
	RestrictPasswordLifetime      = directory.RestrictPasswordLifetime
	RestrictAsymmetricKeyLifetime = directory.RestrictAsymmetricKeyLifetime
)
