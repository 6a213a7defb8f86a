package directory

import (
	"encoding/json"
	"time"
)

// The tenant's default app management policy (GET/PATCH /policies/defaultAppManagementPolicy):
// restrictions on the credentials applications may be given. Its JSON is Graph's
// tenantAppManagementPolicy. Graph enforces it when a credential is added; the emulator does the
// same in its Graph API, which also validates what is stored here.

// DefaultAppManagementPolicyID is the ID Graph gives the tenant's default policy.
const DefaultAppManagementPolicyID = "00000000-0000-0000-0000-000000000000"

// The restriction types of the default policy that the emulator enforces.
const (
	// RestrictPasswordAddition forbids new client secrets.
	RestrictPasswordAddition = "passwordAddition"
	// RestrictPasswordLifetime caps a new client secret's lifetime at maxLifetime.
	RestrictPasswordLifetime = "passwordLifetime"
	// RestrictAsymmetricKeyLifetime caps a new certificate's lifetime at maxLifetime.
	RestrictAsymmetricKeyLifetime = "asymmetricKeyLifetime"
)

// The values of a restriction's state.
const (
	RestrictionEnabled  = "enabled"
	RestrictionDisabled = "disabled"
)

// TenantAppManagementPolicy is the tenant's default app management policy.
type TenantAppManagementPolicy struct {
	ID                           string                     `json:"id"`
	DisplayName                  string                     `json:"displayName"`
	Description                  string                     `json:"description"`
	IsEnabled                    bool                       `json:"isEnabled"`
	ApplicationRestrictions      AppManagementConfiguration `json:"applicationRestrictions"`
	ServicePrincipalRestrictions AppManagementConfiguration `json:"servicePrincipalRestrictions"`
}

// AppManagementConfiguration lists the restrictions on client secrets and on certificates.
type AppManagementConfiguration struct {
	PasswordCredentials []CredentialRestriction `json:"passwordCredentials"`
	KeyCredentials      []CredentialRestriction `json:"keyCredentials"`
}

// CredentialRestriction is one restriction: Graph's passwordCredentialConfiguration or
// keyCredentialConfiguration (they share their shape).
type CredentialRestriction struct {
	RestrictionType string `json:"restrictionType"`
	// State is enabled or disabled; empty means enabled, as Graph treats it.
	State string `json:"state,omitempty"`
	// MaxLifetime is an ISO 8601 duration (P90D, P4DT12H30M5S) for the lifetime restrictions.
	MaxLifetime *string `json:"maxLifetime"`
	// RestrictForAppsCreatedAfterDateTime exempts applications created before it; nil applies to all.
	RestrictForAppsCreatedAfterDateTime *time.Time `json:"restrictForAppsCreatedAfterDateTime"`
}

// AppliesTo reports whether the restriction is in force for an application created at created.
func (r CredentialRestriction) AppliesTo(created time.Time) bool {
	if r.State != "" && r.State != RestrictionEnabled {
		return false
	}
	return r.RestrictForAppsCreatedAfterDateTime == nil || created.After(*r.RestrictForAppsCreatedAfterDateTime)
}

// defaultAppManagementPolicy is what a tenant starts with: Graph's default policy, disabled.
func defaultAppManagementPolicy() TenantAppManagementPolicy {
	return TenantAppManagementPolicy{
		ID: DefaultAppManagementPolicyID, DisplayName: "Default app management tenant policy",
		Description:                  "Default tenant policy that enforces app management restrictions on applications and service principals.",
		ApplicationRestrictions:      AppManagementConfiguration{PasswordCredentials: []CredentialRestriction{}, KeyCredentials: []CredentialRestriction{}},
		ServicePrincipalRestrictions: AppManagementConfiguration{PasswordCredentials: []CredentialRestriction{}, KeyCredentials: []CredentialRestriction{}},
	}
}

// clonePolicy deep-copies a policy.
func clonePolicy(p *TenantAppManagementPolicy) TenantAppManagementPolicy {
	b, err := json.Marshal(p)
	if err != nil {
		panic("directory: a policy does not encode: " + err.Error())
	}
	var out TenantAppManagementPolicy
	if err := json.Unmarshal(b, &out); err != nil {
		panic("directory: a policy does not decode: " + err.Error())
	}
	return out
}

// DefaultAppManagementPolicy is the live default policy, for the Graph API inside Do.
func (tx *Tx) DefaultAppManagementPolicy() *TenantAppManagementPolicy { return &tx.d.policy }

// DefaultAppManagementPolicy returns a copy of the tenant's default app management policy.
func (d *Directory) DefaultAppManagementPolicy() TenantAppManagementPolicy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return clonePolicy(&d.policy)
}

// SetDefaultAppManagementPolicy replaces the tenant's default policy, as an administrator would.
// The ID stays Graph's. It does not validate: the emulator's facade does, with the Graph API's rules.
func (d *Directory) SetDefaultAppManagementPolicy(p TenantAppManagementPolicy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p = clonePolicy(&p)
	p.ID = DefaultAppManagementPolicyID
	d.policy = p
}
