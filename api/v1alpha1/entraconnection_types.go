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
)

// Cloud names a national cloud of Microsoft Entra ID.
// +kubebuilder:validation:Enum=AzurePublic;AzureUSGovernment;AzureUSGovernmentDoD;AzureChina
type Cloud string

// ConnectionSecretKeyRef names a key of a Secret in the operator's own namespace. Connections are
// cluster-scoped and written by cluster administrators; keeping their credentials in the operator's
// namespace means no AppRegistration author can point a connection at a Secret of their own.
type ConnectionSecretKeyRef struct {
	// name of the Secret in the operator's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// key in the Secret. Defaults per credential kind: AZURE_CLIENT_SECRET for a client secret,
	// tls.crt and tls.key (a kubernetes.io/tls Secret) for a certificate.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// ConnectionCredentials says how the operator signs in to the tenant. Exactly one kind is set.
// +kubebuilder:validation:XValidation:rule="(has(self.clientSecret) ? 1 : 0) + (has(self.certificate) ? 1 : 0) + (has(self.workloadIdentity) ? 1 : 0) == 1",message="set exactly one of clientSecret, certificate and workloadIdentity"
type ConnectionCredentials struct {
	// clientId is the application (client) ID of the operator's own application in the tenant.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	ClientID string `json:"clientId"`

	// clientSecret is a Secret key holding a client secret of that application.
	// +optional
	ClientSecret *ConnectionSecretKeyRef `json:"clientSecret,omitempty"`

	// certificate is a kubernetes.io/tls Secret holding a certificate of that application and its
	// private key (key is ignored: tls.crt and tls.key are read).
	// +optional
	Certificate *ConnectionSecretKeyRef `json:"certificate,omitempty"`

	// workloadIdentity signs in with the federated token file the operator's pod already has
	// (AZURE_FEDERATED_TOKEN_FILE, as AKS workload identity projects it); the application named by
	// clientId must trust that token's issuer and subject.
	// +optional
	WorkloadIdentity *WorkloadIdentityCredential `json:"workloadIdentity,omitempty"`
}

// WorkloadIdentityCredential uses the pod's federated token.
type WorkloadIdentityCredential struct {
	// tokenFile overrides the path of the federated token; defaults to AZURE_FEDERATED_TOKEN_FILE.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	TokenFile string `json:"tokenFile,omitempty"`
}

// NamespaceSelection admits namespaces by name or by labels. A namespace is admitted when it is
// listed in names or its labels match selector. An empty selection admits no namespace.
type NamespaceSelection struct {
	// names lists admitted namespaces.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	Names []string `json:"names,omitempty"`

	// selector admits every namespace whose labels match. An empty selector ({}) matches all.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// RedirectHost is a host (crm.example.com) or a suffix of hosts (.example.com) redirect URIs may use.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^\.?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type RedirectHost string

// RegistrationPolicy limits what AppRegistrations using a connection may ask Entra ID for. Unset
// fields do not restrict; a connection without a policy allows what Entra ID allows. An
// AppRegistration outside the policy is refused before anything is written to Entra ID.
type RegistrationPolicy struct {
	// allowedSignInAudiences lists the audiences applications may have, for example only
	// AzureADMyOrg, so no team registers a multi-tenant or personal-account application under the
	// company's name.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4
	AllowedSignInAudiences []SignInAudience `json:"allowedSignInAudiences,omitempty"`

	// allowedRedirectHosts lists the hosts redirect, logout and home page URIs may use: a host
	// matches itself, a suffix starting with a dot matches every host below it. Loopback hosts
	// (localhost, 127.0.0.1, [::1]) and custom schemes of native clients are judged like any other.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	AllowedRedirectHosts []RedirectHost `json:"allowedRedirectHosts,omitempty"`

	// allowImplicitGrant allows web.implicitGrant (tokens from the authorization endpoint).
	// Defaults to true; set false to refuse it.
	// +optional
	AllowImplicitGrant *bool `json:"allowImplicitGrant,omitempty"`

	// allowPublicClientFlows allows publicClient.allowPublicClientFlows (device code, password
	// flows without a secret). Defaults to true; set false to refuse it.
	// +optional
	AllowPublicClientFlows *bool `json:"allowPublicClientFlows,omitempty"`

	// allowedPermissions lists the API permissions AppRegistrations may declare in spec.permissions,
	// as RESOURCE:KIND:PERMISSION rules: RESOURCE MicrosoftGraph, ExchangeOnline or a resource
	// application ID, KIND delegated or application, PERMISSION a name or * (for example
	// MicrosoftGraph:delegated:* or MicrosoftGraph:application:User.Read.All). Unset allows any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=300
	// +kubebuilder:validation:items:Pattern=`^[^:\s]+:(delegated|application):[^:\s]+$`
	AllowedPermissions []string `json:"allowedPermissions,omitempty"`

	// consentablePermissions lists, in the same form, the permissions the operator may grant admin
	// consent for through this connection. It narrows the manager's --consent-allow, never widens
	// it; unset leaves --consent-allow alone.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=300
	// +kubebuilder:validation:items:Pattern=`^[^:\s]+:(delegated|application):[^:\s]+$`
	ConsentablePermissions []string `json:"consentablePermissions,omitempty"`

	// allowAdoption lets AppRegistrations adopt applications made outside the operator, when an
	// administrator has marked the application in Entra ID (see AppRegistration spec.adopt).
	// +optional
	AllowAdoption bool `json:"allowAdoption,omitempty"`
}

// EntraConnectionSpec is a Microsoft Entra ID tenant the operator manages applications in, how it
// signs in there, and who may use it.
type EntraConnectionSpec struct {
	// tenantId is the tenant's ID.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	TenantID string `json:"tenantId"`

	// cloud is the national cloud the tenant lives in. Defaults to AzurePublic.
	// +optional
	// +kubebuilder:default=AzurePublic
	Cloud Cloud `json:"cloud,omitempty"`

	// authorityHost overrides the cloud's Entra authority (an https URL), for a private endpoint, a
	// proxy or the Entra emulator. Only an administrator can write connections.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule=`self.startsWith('https://')`,message="must be an https URL"
	AuthorityHost string `json:"authorityHost,omitempty"`

	// graphEndpoint overrides the cloud's Microsoft Graph endpoint (an https URL without /v1.0).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule=`self.startsWith('https://')`,message="must be an https URL"
	GraphEndpoint string `json:"graphEndpoint,omitempty"`

	// credentials say how the operator signs in to the tenant.
	// +required
	Credentials ConnectionCredentials `json:"credentials"`

	// namespaces admits the namespaces whose AppRegistrations may use this connection.
	// +required
	Namespaces NamespaceSelection `json:"namespaces"`

	// policy limits what those AppRegistrations may ask Entra ID for.
	// +optional
	Policy RegistrationPolicy `json:"policy,omitempty,omitzero"`
}

// EntraConnectionStatus is what the operator last observed of the connection.
type EntraConnectionStatus struct {
	// observedGeneration is the metadata.generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready is True when the operator could read the credentials and sign in to the tenant.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// EntraConnection is a Microsoft Entra ID tenant the operator may manage applications in: where it
// is, how the operator signs in there, which namespaces may use it and what they may ask for.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=entraconn,categories=entra
// +kubebuilder:printcolumn:name="Tenant",type=string,JSONPath=`.spec.tenantId`
// +kubebuilder:printcolumn:name="Cloud",type=string,JSONPath=`.spec.cloud`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type EntraConnection struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the connection.
	// +required
	Spec EntraConnectionSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status EntraConnectionStatus `json:"status,omitempty,omitzero"`
}

// EntraConnectionList is a list of EntraConnection.
// +kubebuilder:object:root=true
type EntraConnectionList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the EntraConnections.
	Items []EntraConnection `json:"items"`
}
