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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// SignInAudience says which Microsoft accounts may sign in to the application.
// +kubebuilder:validation:Enum=AzureADMyOrg;AzureADMultipleOrgs;AzureADandPersonalMicrosoftAccount;PersonalMicrosoftAccount
type SignInAudience string

const (
	// AudienceMyOrg admits accounts of the operator's tenant only (single tenant).
	AudienceMyOrg SignInAudience = "AzureADMyOrg"
	// AudienceMultipleOrgs admits accounts of any Entra ID tenant.
	AudienceMultipleOrgs SignInAudience = "AzureADMultipleOrgs"
	// AudienceOrgsAndPersonal admits any Entra ID tenant and personal Microsoft accounts.
	AudienceOrgsAndPersonal SignInAudience = "AzureADandPersonalMicrosoftAccount"
	// AudiencePersonal admits personal Microsoft accounts only.
	AudiencePersonal SignInAudience = "PersonalMicrosoftAccount"
)

// IncludesPersonalAccounts reports whether the audience admits personal Microsoft accounts, for which
// Entra ID allows fewer redirect URIs.
func (a SignInAudience) IncludesPersonalAccounts() bool {
	return a == AudienceOrgsAndPersonal || a == AudiencePersonal
}

// GroupMembershipClaims says which groups Entra ID lists in the groups claim of issued tokens.
// +kubebuilder:validation:Enum=None;SecurityGroup;All;ApplicationGroup;DirectoryRole
type GroupMembershipClaims string

// The values of GroupMembershipClaims.
const (
	GroupMembershipClaimsNone             GroupMembershipClaims = "None"
	GroupMembershipClaimsSecurityGroup    GroupMembershipClaims = "SecurityGroup"
	GroupMembershipClaimsAll              GroupMembershipClaims = "All"
	GroupMembershipClaimsApplicationGroup GroupMembershipClaims = "ApplicationGroup"
	GroupMembershipClaimsDirectoryRole    GroupMembershipClaims = "DirectoryRole"
)

// DeletionPolicy says what happens to the Entra application when the AppRegistration is deleted.
// +kubebuilder:validation:Enum=Delete;Orphan
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the application (and with it its service principal) from Entra ID.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyOrphan leaves the application in Entra ID untouched.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// RedirectURI is where Entra ID may send authorization codes and tokens for a web or single-page
// application. Entra ID requires an absolute https URI of at most 256 characters; plain http is
// accepted only for the loopback host, and the characters * ! $ ' ( ) , ; are refused, as are
// fragments. User information (https://crm.example.com@evil.example/) is refused too: it makes a URI
// that reads like one host and sends the browser to another.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule=`isURL(self) && url(self).getScheme() != "" && url(self).getHostname() != ""`,message="must be an absolute URI"
// +kubebuilder:validation:XValidation:rule=`self.startsWith('https://') || self.matches('^http://(localhost|127\\.0\\.0\\.1|\\[::1\\])([:/?#].*)?$')`,message="must use https; http is allowed only for localhost"
// +kubebuilder:validation:XValidation:rule=`!self.matches("[*!$'(),;]")`,message="must not contain any of the characters * ! $ ' ( ) , ;"
// +kubebuilder:validation:XValidation:rule=`!self.matches('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@')`,message="must not contain user information (user@host): browsers send the user to the host after the @"
// +kubebuilder:validation:XValidation:rule=`!self.contains('#')`,message="must not contain a fragment (#)"
type RedirectURI string

// PublicClientRedirectURI is where Entra ID may return to a mobile or desktop application. Besides
// https and loopback http URIs it may use a custom scheme (for example msal<client-id>://auth); the
// other rules of RedirectURI apply.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule=`self.matches('^[a-zA-Z][a-zA-Z0-9+.-]*:.+$')`,message="must be an absolute URI"
// +kubebuilder:validation:XValidation:rule=`!self.startsWith('http://') || self.matches('^http://(localhost|127\\.0\\.0\\.1|\\[::1\\])([:/?#].*)?$')`,message="must not use http except for localhost"
// +kubebuilder:validation:XValidation:rule=`!self.matches("[*!$'(),;]")`,message="must not contain any of the characters * ! $ ' ( ) , ;"
// +kubebuilder:validation:XValidation:rule=`!self.matches('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@')`,message="must not contain user information (user@host): browsers send the user to the host after the @"
// +kubebuilder:validation:XValidation:rule=`!self.contains('#')`,message="must not contain a fragment (#)"
type PublicClientRedirectURI string

// OptionalClaimName is an optional claim Entra ID can add to tokens.
// +kubebuilder:validation:Enum=acct;auth_time;ctry;email;family_name;fwd;given_name;groups;idtyp;in_corp;ipaddr;login_hint;onprem_sid;pwd_exp;pwd_url;sid;tenant_ctry;tenant_region_scope;upn;verified_primary_email;verified_secondary_email;vnet;xms_cc;xms_edov;xms_pdl;xms_pl;xms_tpl;ztdid
type OptionalClaimName string

// OptionalClaimProperty changes how Entra ID renders an optional claim.
// +kubebuilder:validation:Enum=include_externally_authenticated_upn;include_externally_authenticated_upn_without_hash;use_guid;emit_as_roles;sam_account_name;dns_domain_and_sam_account_name;netbios_domain_and_sam_account_name;cloud_displayname
type OptionalClaimProperty string

// OptionalClaim asks Entra ID to add one claim to a kind of token.
type OptionalClaim struct {
	// name is the claim to add, for example email or groups.
	// +required
	Name OptionalClaimName `json:"name"`

	// essential asks Entra ID to treat the claim as required for a smooth sign-in experience.
	// +optional
	Essential bool `json:"essential,omitempty"`

	// additionalProperties changes how the claim is rendered, for example emit_as_roles for groups.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	AdditionalProperties []OptionalClaimProperty `json:"additionalProperties,omitempty"`
}

// OptionalClaims lists the optional claims Entra ID adds to each kind of token.
type OptionalClaims struct {
	// idToken lists claims added to ID tokens.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	IDToken []OptionalClaim `json:"idToken,omitempty"`

	// accessToken lists claims added to access tokens issued for this application's own API.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	AccessToken []OptionalClaim `json:"accessToken,omitempty"`

	// saml2Token lists claims added to SAML tokens.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	SAML2Token []OptionalClaim `json:"saml2Token,omitempty"`
}

// ImplicitGrant allows tokens to be returned straight from the authorization endpoint.
type ImplicitGrant struct {
	// idTokens allows ID tokens from the authorization endpoint (needed by some hybrid flows, e.g. 3CX).
	// +optional
	IDTokens bool `json:"idTokens,omitempty"`

	// accessTokens allows access tokens from the authorization endpoint. Leave off unless a legacy
	// single-page application needs it.
	// +optional
	AccessTokens bool `json:"accessTokens,omitempty"`
}

// WebApplication configures a server-side web application, the usual shape of a CRM.
type WebApplication struct {
	// redirectUris are where Entra ID sends authorization codes, for example
	// https://crm.example.com/oauth-callback.php for EspoCRM.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	RedirectURIs []RedirectURI `json:"redirectUris,omitempty"`

	// homePageUrl is the application's home page, shown to users in My Apps.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`isURL(self) && url(self).getScheme() != "" && url(self).getHostname() != ""`,message="must be an absolute URI"
	HomePageURL string `json:"homePageUrl,omitempty"`

	// logoutUrl is where Entra ID sends a front-channel logout request when the user signs out.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`isURL(self) && url(self).getScheme() != "" && url(self).getHostname() != ""`,message="must be an absolute URI"
	// +kubebuilder:validation:XValidation:rule=`self.startsWith('https://') || self.matches('^http://(localhost|127\\.0\\.0\\.1|\\[::1\\])([:/?#].*)?$')`,message="must use https; http is allowed only for localhost"
	// +kubebuilder:validation:XValidation:rule=`!self.matches('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@')`,message="must not contain user information (user@host): browsers send the user to the host after the @"
	// +kubebuilder:validation:XValidation:rule=`!self.contains('#')`,message="must not contain a fragment (#)"
	LogoutURL string `json:"logoutUrl,omitempty"`

	// implicitGrant allows tokens to be returned from the authorization endpoint.
	// +optional
	ImplicitGrant ImplicitGrant `json:"implicitGrant,omitempty,omitzero"`
}

// SinglePageApplication configures a browser application that redeems codes with PKCE.
type SinglePageApplication struct {
	// redirectUris are where Entra ID sends authorization codes for the browser application.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	RedirectURIs []RedirectURI `json:"redirectUris,omitempty"`
}

// PublicClientApplication configures a mobile or desktop application that holds no secret.
type PublicClientApplication struct {
	// redirectUris are where Entra ID returns to the native application.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	RedirectURIs []PublicClientRedirectURI `json:"redirectUris,omitempty"`

	// allowPublicClientFlows lets the application use flows without a client secret (device code,
	// resource owner password). Off unless a native client needs it.
	// +optional
	AllowPublicClientFlows bool `json:"allowPublicClientFlows,omitempty"`
}

// The tags that stand in, on an adopted application, for the unique name the operator gives the
// applications it creates (Entra ID sets uniqueName at creation only).
const (
	// AdoptionTagPrefix + "<namespace>/<name>" is an administrator's approval, on the application in
	// Entra ID, for that AppRegistration to adopt it.
	AdoptionTagPrefix = "entra-sso-operator:adopt:"
	// OwnerTagPrefix + "<uid>" is the operator's mark: the AppRegistration with that UID manages the
	// application. Every write and delete checks it.
	OwnerTagPrefix = "entra-sso-operator:owner:"
)

// AdoptionTag is the tag an administrator puts on an application to let the AppRegistration
// namespace/name adopt it.
func AdoptionTag(namespace, name string) string { return AdoptionTagPrefix + namespace + "/" + name }

// OwnerTag is the operator's mark on an application adopted by the AppRegistration with this UID.
func OwnerTag(uid types.UID) string { return OwnerTagPrefix + string(uid) }

// Adoption names an existing application to take over.
type Adoption struct {
	// appId is the application (client) ID of the application to adopt.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	AppID string `json:"appId"`
}

// AppRegistrationSpec is the desired Entra ID application registration.
// Entra ID counts redirect URIs of all platforms together: at most 256, or 100 when personal Microsoft
// accounts may sign in.
// +kubebuilder:validation:XValidation:rule="(has(self.web) && has(self.web.redirectUris) ? size(self.web.redirectUris) : 0) + (has(self.spa) && has(self.spa.redirectUris) ? size(self.spa.redirectUris) : 0) + (has(self.publicClient) && has(self.publicClient.redirectUris) ? size(self.publicClient.redirectUris) : 0) <= 256",message="web.redirectUris, spa.redirectUris and publicClient.redirectUris may hold at most 256 URIs together"
// +kubebuilder:validation:XValidation:rule="!(has(self.signInAudience) && self.signInAudience in ['AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount']) || (has(self.web) && has(self.web.redirectUris) ? size(self.web.redirectUris) : 0) + (has(self.spa) && has(self.spa.redirectUris) ? size(self.spa.redirectUris) : 0) + (has(self.publicClient) && has(self.publicClient.redirectUris) ? size(self.publicClient.redirectUris) : 0) <= 100",message="web.redirectUris, spa.redirectUris and publicClient.redirectUris may hold at most 100 URIs together when signInAudience admits personal Microsoft accounts"
// +kubebuilder:validation:XValidation:rule=`(has(self.adopt) ? self.adopt.appId : "") == (has(oldSelf.adopt) ? oldSelf.adopt.appId : "")`,message="adopt is immutable: an object adopts one application for its whole life"
// +kubebuilder:validation:XValidation:rule=`(has(self.connection) ? self.connection : "") == (has(oldSelf.connection) ? oldSelf.connection : "")`,message="connection is immutable: the application lives in the tenant it was created in; create a new AppRegistration to move"
// +kubebuilder:validation:XValidation:rule="!(has(self.secret) && has(self.secret.format) && self.secret.format == 'ThreeCX' && has(self.credentials) && has(self.credentials.clientSecret))",message="the ThreeCX format carries no client secret (3CX signs in with a certificate): remove credentials.clientSecret or choose another format",fieldPath=.secret.format
// +kubebuilder:validation:XValidation:rule="!(has(self.secret) && has(self.secret.format) && self.secret.format in ['EspoCRM', 'OroCRM', 'SMTP'] && has(self.credentials) && has(self.credentials.certificate))",message="the EspoCRM, OroCRM and SMTP formats carry no certificate (these CRMs sign in with a client secret): remove credentials.certificate or choose the Generic or ThreeCX format",fieldPath=.secret.format
type AppRegistrationSpec struct {
	// connection names the EntraConnection (a tenant and how the operator signs in there) this
	// application lives in. Empty means the operator's default connection. Immutable.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Connection string `json:"connection,omitempty"`

	// adopt takes over an application made outside the operator (in the portal, by a script)
	// instead of creating one, so a team can move to the operator without a new client ID and new
	// consent. It needs both a connection whose policy allows adoption and an administrator's
	// approval in Entra ID: the tag entra-sso-operator:adopt:<namespace>/<name> on the application.
	// The operator then marks the application with entra-sso-operator:owner:<uid> and manages it
	// like one it created, deletionPolicy included. Immutable.
	// +optional
	Adopt *Adoption `json:"adopt,omitempty"`

	// displayName is the application's name in Entra ID, shown on the consent prompt and in My Apps.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=120
	DisplayName string `json:"displayName"`

	// signInAudience says which accounts may sign in. Defaults to AzureADMyOrg (this tenant only).
	// +optional
	// +kubebuilder:default=AzureADMyOrg
	SignInAudience SignInAudience `json:"signInAudience,omitempty"`

	// web configures sign-in for a server-side web application.
	// +optional
	Web *WebApplication `json:"web,omitempty"`

	// spa configures sign-in for a single-page (browser) application.
	// +optional
	SPA *SinglePageApplication `json:"spa,omitempty"`

	// publicClient configures sign-in for mobile and desktop applications.
	// +optional
	PublicClient *PublicClientApplication `json:"publicClient,omitempty"`

	// optionalClaims adds claims to issued tokens, for example email to the ID token.
	// +optional
	OptionalClaims *OptionalClaims `json:"optionalClaims,omitempty"`

	// groupMembershipClaims says which groups the groups claim lists. Unset means no groups claim.
	// +optional
	GroupMembershipClaims GroupMembershipClaims `json:"groupMembershipClaims,omitempty"`

	// permissions are the API permissions the application asks for, per resource and by name
	// (requiredResourceAccess, the portal's "API permissions"). The operator resolves the names to
	// IDs from each resource's service principal. Entra ID accepts at most 50 resources and 400
	// permissions in all.
	// +optional
	// +listType=map
	// +listMapKey=resource
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, (q.resource == 'MicrosoftGraph' ? '00000003-0000-0000-c000-000000000000' : q.resource == 'ExchangeOnline' ? '00000002-0000-0ff1-ce00-000000000000' : q.resource.lowerAscii()) == (p.resource == 'MicrosoftGraph' ? '00000003-0000-0000-c000-000000000000' : p.resource == 'ExchangeOnline' ? '00000002-0000-0ff1-ce00-000000000000' : p.resource.lowerAscii())))",message="names a resource twice (MicrosoftGraph is 00000003-0000-0000-c000-000000000000, ExchangeOnline is 00000002-0000-0ff1-ce00-000000000000)"
	// +kubebuilder:validation:XValidation:rule="self.map(p, (has(p.delegated) ? size(p.delegated) : 0) + (has(p.application) ? size(p.application) : 0)).sum() <= 400",message="may name at most 400 permissions in all"
	Permissions []ResourcePermissions `json:"permissions,omitempty"`

	// adminConsent asks for tenant-wide admin consent to the declared permissions: delegated ones
	// as one grant per resource for all users, application ones as app role assignments. The
	// operator grants it only when it runs with --consent-mode=grant and its administrator allowed
	// each permission (--consent-allow); otherwise status.consent.adminConsentUrl says where an
	// administrator grants it. False (the default) leaves consent to users and administrators.
	// +optional
	AdminConsent bool `json:"adminConsent,omitempty"`

	// secret is the Kubernetes Secret the client configuration is written to.
	// +optional
	Secret SecretTarget `json:"secret,omitempty,omitzero"`

	// credentials the application authenticates with: a client secret, a certificate, federated
	// identity credentials. Unset, the application has none (a public client signs users in
	// without one).
	// +optional
	Credentials *Credentials `json:"credentials,omitempty"`

	// deletionPolicy says what happens to the Entra application when this object is deleted: Delete
	// (the default) removes it, Orphan leaves it in Entra ID.
	// +optional
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// AppRegistrationStatus is what the operator last observed and did.
type AppRegistrationStatus struct {
	// observedGeneration is the metadata.generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the state of the registration. Ready is True when Entra ID and the Secret
	// match the spec.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// tenantId is the Entra ID tenant the application lives in.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TenantID string `json:"tenantId,omitempty"`

	// appId is the application (client) ID.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	AppID string `json:"appId,omitempty"`

	// objectId is the object ID of the application registration.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ObjectID string `json:"objectId,omitempty"`

	// servicePrincipalId is the object ID of the application's service principal in the tenant.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ServicePrincipalID string `json:"servicePrincipalId,omitempty"`

	// uniqueName is the immutable key the operator creates the application under, derived from this
	// object's UID, so that a retried create finds the application instead of making a second one.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	UniqueName string `json:"uniqueName,omitempty"`

	// lastVerifiedTime is when the operator last compared the application with Entra ID itself
	// rather than with its mirror of the tenant (kept by delta query). Every object is verified this
	// way at least once per --backstop-period; an object in sync that was verified recently needs no
	// Graph read when the operator restarts.
	// +optional
	LastVerifiedTime *metav1.Time `json:"lastVerifiedTime,omitempty"`

	// secretName is the Secret the operator last wrote, so a renamed target does not leave it behind.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// secretHash is the SHA-256 of the Secret's keys and values as the operator last wrote them,
	// in hex: the value of the pod template annotation entra.sso-operator.io/secret-hash it gives
	// spec.secret.consumers. Set while consumers are named.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SecretHash string `json:"secretHash,omitempty"`

	// consumers are the workloads of spec.secret.consumers the operator found, with the content
	// hash it last set on their pod templates.
	// +optional
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Consumers []ConsumerStatus `json:"consumers,omitempty"`

	// consent is what the operator knows of the admin consent for spec.permissions.
	// +optional
	Consent *ConsentStatus `json:"consent,omitempty"`
	// credentials records the credentials the operator manages: key IDs, hints, expiry and the
	// next renewal, never a value.
	// +optional
	Credentials *CredentialsStatus `json:"credentials,omitempty"`
}

// Condition types of an AppRegistration. Each phase of a reconcile reports its own condition, and
// Ready rolls them up: it is True when every phase's condition is True, and otherwise carries the
// reason and message of the first phase that is not done. kstatus (Flux) and Argo CD read Ready.
const (
	// ConditionReady is True when the application, its service principal and the Secret match the spec.
	ConditionReady = "Ready"
	// ConditionApplicationReady is True when the Entra application exists and matches the spec.
	ConditionApplicationReady = "ApplicationReady"
	// ConditionServicePrincipalReady is True when the application's service principal exists.
	ConditionServicePrincipalReady = "ServicePrincipalReady"
	// ConditionConnectionReady is True when the object may use its connection (the tenant its
	// application lives in) and keeps the connection's policy.
	ConditionConnectionReady = "ConnectionReady"
	// ConditionSecretReady is True when the Secret holds the client configuration.
	ConditionSecretReady = "SecretReady"
	// ConditionCredentialsReady is True when the declared client secret, certificate and federated
	// credentials exist and are current.
	ConditionCredentialsReady = "CredentialsReady"
)

// Condition reasons of an AppRegistration.
const (
	// ReasonSynced: everything matches the spec.
	ReasonSynced = "Synced"
	// ReasonProgressing: the operator is creating or updating objects and will check again.
	ReasonProgressing = "Progressing"
	// ReasonReplicating: Entra ID has not replicated an object the operator just created; it looks
	// again with growing pauses.
	ReasonReplicating = "Replicating"
	// ReasonWaiting: a phase waits for an earlier one (named in the message) to be done.
	ReasonWaiting = "Waiting"
	// ReasonPermissionDenied: Graph refused the operator's identity (403); grant it the named role.
	ReasonPermissionDenied = "PermissionDenied"
	// ReasonInvalidSpec: Graph refused a value of the spec (400); change the spec.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonThrottled: Graph throttled the operator (429); it retries after the advertised delay.
	ReasonThrottled = "Throttled"
	// ReasonGraphUnavailable: Graph failed, could not be reached or did not answer in time; retried
	// with backoff.
	ReasonGraphUnavailable = "GraphUnavailable"
	// ReasonAuthenticationFailed: no token could be had for Graph; check the operator's credentials.
	ReasonAuthenticationFailed = "AuthenticationFailed"
	// ReasonKubernetesError: reading or writing a Kubernetes object failed; retried with backoff.
	ReasonKubernetesError = "KubernetesError"
	// ReasonSecretConflict: the target Secret exists and belongs to something else.
	ReasonSecretConflict = "SecretConflict"
	// ReasonStatusMismatch: the status named an application this object does not manage. The operator
	// left that application alone, restored the status from Entra ID and goes on with its own.
	ReasonStatusMismatch = "StatusMismatch"
	// ReasonTenantMismatch: the object's application lives in another tenant than the one the
	// operator now works in; the operator will not create a second application.
	ReasonTenantMismatch = "TenantMismatch"
	// ReasonConnectionNotFound: the EntraConnection the object names (or the default) does not exist.
	ReasonConnectionNotFound = "ConnectionNotFound"
	// ReasonNamespaceNotAdmitted: the connection does not admit the object's namespace.
	ReasonNamespaceNotAdmitted = "NamespaceNotAdmitted"
	// ReasonConnectionUnavailable: the connection's credentials cannot be read or used.
	ReasonConnectionUnavailable = "ConnectionUnavailable"
	// ReasonPolicyViolation: the spec asks for something the connection's policy refuses; nothing
	// was written to Entra ID.
	ReasonPolicyViolation = "PolicyViolation"
	// ReasonAdoptionRefused: the application spec.adopt names cannot be adopted (not found, not
	// approved by an administrator's tag, or managed by another object); nothing was written.
	ReasonAdoptionRefused = "AdoptionRefused"
	// ReasonDeleting: the application is being removed from Entra ID.
	ReasonDeleting = "Deleting"
	// ReasonAppManagementPolicy: an app management policy of the tenant or the application refused
	// a credential (its type or its lifetime); the message names the policy. Change the spec or
	// the policy; the operator looks again at the resync period.
	ReasonAppManagementPolicy = "AppManagementPolicy"
	// ReasonCredentialLimit: the application holds as many credentials of a kind as Entra ID
	// allows (two client secrets for personal-account audiences), and the ones in the way were
	// not made by the operator, which never removes those.
	ReasonCredentialLimit = "CredentialLimit"
	// ReasonCertificateUnavailable: the kubernetes.io/tls Secret named by
	// spec.credentials.certificate.secretRef is missing, or holds no usable certificate and key.
	ReasonCertificateUnavailable = "CertificateUnavailable"
)

// AppRegistration is a Microsoft Entra ID application registration with its service principal,
// and the Kubernetes Secret holding the client configuration a workload signs users in with.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=appreg,categories=entra
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="App ID",type=string,JSONPath=`.status.appId`
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Consent",type=string,JSONPath=`.status.conditions[?(@.type=="ConsentGranted")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AppRegistration struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired application registration.
	// +required
	Spec AppRegistrationSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status AppRegistrationStatus `json:"status,omitempty,omitzero"`
}

// SecretName is the name of the Secret the client configuration is written to.
func (a *AppRegistration) SecretName() string {
	if a.Spec.Secret.Name != "" {
		return a.Spec.Secret.Name
	}
	return a.Name
}

// AppRegistrationList is a list of AppRegistration.
// +kubebuilder:object:root=true
type AppRegistrationList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the AppRegistrations.
	Items []AppRegistration `json:"items"`
}
