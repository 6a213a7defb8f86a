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

// SecretFormat is the layout of the Secret's keys: the names one kind of workload reads.
// +kubebuilder:validation:Enum=Generic;EspoCRM;OroCRM;SMTP;ThreeCX
type SecretFormat string

// The formats. README.md lists every key of each.
const (
	// SecretFormatGeneric is azidentity's environment names (AZURE_TENANT_ID, AZURE_CLIENT_ID,
	// AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST), the certificate as tls.crt/tls.key, and the
	// tenant's OpenID Connect endpoints.
	SecretFormatGeneric SecretFormat = "Generic"
	// SecretFormatEspoCRM is EspoCRM's ESPOCRM_CONFIG_* environment variables for OIDC sign-in.
	SecretFormatEspoCRM SecretFormat = "EspoCRM"
	// SecretFormatOroCRM is the settings of OroCRM's Microsoft 365 integration.
	SecretFormatOroCRM SecretFormat = "OroCRM"
	// SecretFormatSMTP is what a CRM sending mail through Exchange Online with SMTP XOAUTH2 asks for.
	SecretFormatSMTP SecretFormat = "SMTP"
	// SecretFormatThreeCX is what 3CX's Microsoft 365 integration asks for: IDs and a certificate.
	SecretFormatThreeCX SecretFormat = "ThreeCX"
)

// SecretKey is the name of a key of a Secret.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
type SecretKey string

// SecretTemplate writes one more key to the Secret, rendered from a Go template (text/template)
// over the values every format is made of: {{ .ClientID }}, {{ .TokenEndpoint }}, and the others
// README.md lists. A name the values lack fails the rendering rather than writing an empty value.
type SecretTemplate struct {
	// key is the Secret key the template writes. It may not be a key of the format.
	// +required
	Key SecretKey `json:"key"`

	// value is the template, for example "{{ .AuthorityHost }}{{ .TenantID }}/oauth2/v2.0/token".
	// Functions: join (join LIST SEPARATOR), b64enc, trimSuffix and trimPrefix (trimSuffix SUFFIX
	// STRING), lower and upper.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=8192
	Value string `json:"value"`
}

// ConsumerKind is the kind of a workload that reads the Secret.
// +kubebuilder:validation:Enum=Deployment;StatefulSet
type ConsumerKind string

// The kinds of consumers.
const (
	ConsumerDeployment  ConsumerKind = "Deployment"
	ConsumerStatefulSet ConsumerKind = "StatefulSet"
)

// SecretConsumer names a workload in the AppRegistration's namespace that reads the Secret only
// when it starts (environment variables, a configuration file written once).
type SecretConsumer struct {
	// kind is Deployment or StatefulSet.
	// +required
	Kind ConsumerKind `json:"kind"`

	// name of the Deployment or StatefulSet, in the namespace of the AppRegistration.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
}

// LabelValue is the value of a label.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// SecretTarget names the Kubernetes Secret the operator writes the client configuration to, and
// the layout of its keys.
// +kubebuilder:validation:XValidation:rule="!has(self.templates) || (has(self.format) ? self.format : 'Generic') != 'Generic' || self.templates.all(t, !(t.key in ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_AUTHORITY_HOST', 'OIDC_ISSUER', 'OIDC_DISCOVERY_URL', 'OIDC_AUTHORIZATION_ENDPOINT', 'OIDC_TOKEN_ENDPOINT', 'OIDC_JWKS_URI', 'OIDC_END_SESSION_ENDPOINT', 'OIDC_USERINFO_ENDPOINT', 'OIDC_DEVICE_AUTHORIZATION_ENDPOINT', 'AZURE_CLIENT_SECRET', 'tls.crt', 'tls.key', 'tls-combined.pem', 'AZURE_CLIENT_CERTIFICATE_THUMBPRINT']))",message="templates add keys and may not write a key of the Generic format",fieldPath=.templates
// +kubebuilder:validation:XValidation:rule="!has(self.templates) || !has(self.format) || self.format != 'EspoCRM' || self.templates.all(t, !(t.key in ['ESPOCRM_CONFIG_AUTHENTICATION_METHOD', 'ESPOCRM_CONFIG_OIDC_CLIENT_ID', 'ESPOCRM_CONFIG_OIDC_CLIENT_SECRET', 'ESPOCRM_CONFIG_OIDC_AUTHORIZATION_ENDPOINT', 'ESPOCRM_CONFIG_OIDC_TOKEN_ENDPOINT', 'ESPOCRM_CONFIG_OIDC_JWKS_ENDPOINT', 'ESPOCRM_CONFIG_OIDC_LOGOUT_URL', 'ESPOCRM_CONFIG_OIDC_USERNAME_CLAIM', 'ESPOCRM_CONFIG_OIDC_CREATE_USER']))",message="templates add keys and may not write a key of the EspoCRM format",fieldPath=.templates
// +kubebuilder:validation:XValidation:rule="!has(self.templates) || !has(self.format) || self.format != 'OroCRM' || self.templates.all(t, !(t.key in ['ORO_MICROSOFT_CLIENT_ID', 'ORO_MICROSOFT_CLIENT_SECRET', 'ORO_MICROSOFT_TENANT', 'ORO_MICROSOFT_MAIL_SCOPES', 'ORO_MICROSOFT_REDIRECT_URIS']))",message="templates add keys and may not write a key of the OroCRM format",fieldPath=.templates
// +kubebuilder:validation:XValidation:rule="!has(self.templates) || !has(self.format) || self.format != 'SMTP' || self.templates.all(t, !(t.key in ['SMTP_HOST', 'SMTP_PORT', 'SMTP_ENCRYPTION', 'SMTP_AUTH_MECHANISM', 'SMTP_OAUTH_TENANT_ID', 'SMTP_OAUTH_CLIENT_ID', 'SMTP_OAUTH_CLIENT_SECRET', 'SMTP_OAUTH_AUTHORIZATION_ENDPOINT', 'SMTP_OAUTH_TOKEN_ENDPOINT', 'SMTP_OAUTH_SCOPE']))",message="templates add keys and may not write a key of the SMTP format",fieldPath=.templates
// +kubebuilder:validation:XValidation:rule="!has(self.templates) || !has(self.format) || self.format != 'ThreeCX' || self.templates.all(t, !(t.key in ['THREECX_M365_CLIENT_ID', 'THREECX_M365_TENANT_ID', 'THREECX_M365_CERTIFICATE_THUMBPRINT', 'public_key.pem', 'private_key.pem']))",message="templates add keys and may not write a key of the ThreeCX format",fieldPath=.templates
type SecretTarget struct {
	// name of the Secret, in the namespace of the AppRegistration. The operator owns this Secret: it
	// creates it, keeps its keys as rendered and deletes it with the AppRegistration.
	// Defaults to the name of the AppRegistration.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name,omitempty"`

	// format is the layout of the Secret's keys: Generic (the default: azidentity's environment
	// names and the tenant's OpenID Connect endpoints), EspoCRM, OroCRM, SMTP or ThreeCX.
	// +optional
	// +kubebuilder:default=Generic
	Format SecretFormat `json:"format,omitempty"`

	// templates write more keys, each rendered from a Go template over the documented values, for
	// a CRM no format fits. A template that fails to render makes SecretReady False with reason
	// InvalidSecretTemplate; the format's keys are still written.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=64
	Templates []SecretTemplate `json:"templates,omitempty"`

	// labels are put on the Secret besides the operator's own.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule=`self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))`,message="keys must be qualified names: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule=`self.all(k, !k.startsWith('entra.sso-operator.io/') && k != 'app.kubernetes.io/managed-by')`,message="the entra.sso-operator.io/ prefix and app.kubernetes.io/managed-by are the operator's own"
	Labels map[string]LabelValue `json:"labels,omitempty"`

	// annotations are put on the Secret besides the operator's own.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule=`self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))`,message="keys must be qualified names: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule=`self.all(k, !k.startsWith('entra.sso-operator.io/'))`,message="the entra.sso-operator.io/ prefix is the operator's own"
	Annotations map[string]string `json:"annotations,omitempty"`

	// consumers are workloads in the AppRegistration's namespace that read the Secret only when
	// they start. When the Secret's content changes, the operator sets the pod template annotation
	// entra.sso-operator.io/secret-hash of each to the content's hash, which rolls its pods.
	// +optional
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Consumers []SecretConsumer `json:"consumers,omitempty"`
}

// ConsumerStatus records the content hash the operator last gave a consumer's pod template.
type ConsumerStatus struct {
	// kind is Deployment or StatefulSet.
	// +required
	Kind ConsumerKind `json:"kind"`

	// name of the workload.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// secretHash is the content hash its pod template carries.
	// +required
	// +kubebuilder:validation:MaxLength=64
	SecretHash string `json:"secretHash"`
}

// Condition reasons of the Secret.
const (
	// ReasonInvalidSecretTemplate: a template of spec.secret.templates does not render; the
	// message names its key. The format's keys are written; the templates' keys stay as they were.
	ReasonInvalidSecretTemplate = "InvalidSecretTemplate"
	// ReasonSecretFormatUnavailable: the format needs something the operator does not know in the
	// tenant's cloud (Exchange Online's hosts outside the public cloud); nothing is written.
	ReasonSecretFormatUnavailable = "SecretFormatUnavailable"
)
