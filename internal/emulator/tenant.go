package emulator

import (
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
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
)

// The directory model (see package directory): Graph's entity types, whose JSON is Graph's.
type (
	Application                 = directory.Application
	WebApplication              = directory.WebApplication
	RedirectURISettings         = directory.RedirectURISettings
	ImplicitGrantSettings       = directory.ImplicitGrantSettings
	SpaApplication              = directory.SpaApplication
	PublicClientApplication     = directory.PublicClientApplication
	OptionalClaims              = directory.OptionalClaims
	OptionalClaim               = directory.OptionalClaim
	RequiredResourceAccess      = directory.RequiredResourceAccess
	ResourceAccess              = directory.ResourceAccess
	PasswordCredential          = directory.PasswordCredential
	KeyCredential               = directory.KeyCredential
	APIApplication              = directory.APIApplication
	PreAuthorizedApplication    = directory.PreAuthorizedApplication
	PermissionScope             = directory.PermissionScope
	AppRole                     = directory.AppRole
	InformationalURL            = directory.InformationalURL
	FederatedIdentityCredential = directory.FederatedIdentityCredential
	ServicePrincipal            = directory.ServicePrincipal
	AppRoleAssignment           = directory.AppRoleAssignment
	OAuth2PermissionGrant       = directory.OAuth2PermissionGrant
	User                        = directory.User
)
