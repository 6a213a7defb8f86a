/*
Copyright 2026 The entra-sso-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

// PermissionResource names the API an application asks permissions of: MicrosoftGraph,
// ExchangeOnline (Office 365 Exchange Online), or the application (client) ID of any other API whose
// service principal is in the tenant.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=36
// +kubebuilder:validation:XValidation:rule=`self in ['MicrosoftGraph', 'ExchangeOnline'] || self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')`,message="must be MicrosoftGraph, ExchangeOnline or the application ID (a GUID) of the resource"
type PermissionResource string

// The resource aliases.
const (
	// ResourceMicrosoftGraph is Microsoft Graph (appId 00000003-0000-0000-c000-000000000000).
	ResourceMicrosoftGraph PermissionResource = "MicrosoftGraph"
	// ResourceExchangeOnline is Office 365 Exchange Online (appId 00000002-0000-0ff1-ce00-000000000000).
	ResourceExchangeOnline PermissionResource = "ExchangeOnline"
)

// Well-known application IDs of the resources the aliases name. They are the same in every tenant
// and every national cloud.
const (
	MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"
	ExchangeOnlineAppID = "00000002-0000-0ff1-ce00-000000000000"
)

// PermissionName is a permission as its resource publishes it: the value of a delegated permission
// (an oauth2PermissionScope, e.g. User.Read or offline_access) or of an application permission (an
// app role, e.g. User.Read.All). Entra ID permission values have no spaces and do not start with a
// dot, so ".default" (a scope suffix, not a permission) is refused.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=120
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_][A-Za-z0-9_.:-]*$`
type PermissionName string

// ResourcePermissions are the permissions an application asks of one resource, by name.
// +kubebuilder:validation:XValidation:rule="(has(self.delegated) && size(self.delegated) > 0) || (has(self.application) && size(self.application) > 0)",message="must name at least one delegated or application permission"
type ResourcePermissions struct {
	// resource is the API: MicrosoftGraph, ExchangeOnline, or the application ID (a GUID) of another
	// API whose service principal is in the tenant.
	// +required
	Resource PermissionResource `json:"resource"`

	// delegated are permissions the application uses on behalf of a signed-in user (scopes), for
	// example openid, profile, email, offline_access, User.Read, IMAP.AccessAsUser.All, SMTP.Send.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	Delegated []PermissionName `json:"delegated,omitempty"`

	// application are permissions the application uses as itself, without a user (app roles), for
	// example User.Read.All or Calendars.Read. They always need admin consent.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	Application []PermissionName `json:"application,omitempty"`
}

// ConsentStatus is what the operator knows of the admin consent for spec.permissions.
type ConsentStatus struct {
	// granted lists, per resource, the declared permissions that hold tenant-wide admin consent, as
	// the operator last read them from Entra ID. It stays empty when the operator does not read
	// consent (--consent-mode=off).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Granted []ResourcePermissions `json:"granted,omitempty"`

	// adminConsentUrl is where a tenant administrator grants the declared permissions by hand
	// (Entra ID's admin consent endpoint), set while consent is not known to be granted. It returns
	// the administrator to the application's first redirect URI.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	AdminConsentURL string `json:"adminConsentUrl,omitempty"`
}

// Condition types and reasons of permissions and consent.
const (
	// ConditionPermissionsResolved is True when every permission name in spec.permissions was found
	// on its resource, so requiredResourceAccess can be written.
	ConditionPermissionsResolved = "PermissionsResolved"
	// ConditionConsentGranted is True when every declared permission holds tenant-wide admin consent,
	// or none is declared.
	ConditionConsentGranted = "ConsentGranted"

	// ReasonUnknownPermission: a resource has no permission of a name the spec declares, or the
	// resource has no service principal in the tenant. Nothing was written; fix the spec.
	ReasonUnknownPermission = "UnknownPermission"
	// ReasonConsentPending: the declared permissions lack admin consent, and granting it is not the
	// operator's job here (spec.adminConsent is false, or the operator runs with --consent-mode off
	// or verify). An administrator grants it at status.consent.adminConsentUrl. Ready stays True:
	// the application, its service principal and the Secret are as declared.
	ReasonConsentPending = "ConsentPending"
	// ReasonConsentNotAllowed: spec.adminConsent asks the operator to grant a permission its
	// administrator did not allow (--consent-allow). Nothing was granted.
	ReasonConsentNotAllowed = "ConsentNotAllowed"
)
