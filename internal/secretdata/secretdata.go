// Package secretdata renders the keys of the Kubernetes Secret a workload reads its Entra ID client
// configuration from. It is the one place that knows the Secret's layout.
package secretdata

import "github.com/entra-sso-operator/entra-sso-operator/internal/cloud"

// The keys of the Generic layout. The AZURE_* names are the ones azidentity's
// DefaultAzureCredential and EnvironmentCredential read, so `envFrom` a Secret just works.
const (
	KeyTenantID                    = "AZURE_TENANT_ID"
	KeyClientID                    = "AZURE_CLIENT_ID"
	KeyAuthorityHost               = "AZURE_AUTHORITY_HOST"
	KeyIssuer                      = "OIDC_ISSUER"
	KeyDiscoveryURL                = "OIDC_DISCOVERY_URL"
	KeyAuthorizationEndpoint       = "OIDC_AUTHORIZATION_ENDPOINT"
	KeyTokenEndpoint               = "OIDC_TOKEN_ENDPOINT"
	KeyJWKSURI                     = "OIDC_JWKS_URI"
	KeyEndSessionEndpoint          = "OIDC_END_SESSION_ENDPOINT"
	KeyUserinfoEndpoint            = "OIDC_USERINFO_ENDPOINT"
	KeyDeviceAuthorizationEndpoint = "OIDC_DEVICE_AUTHORIZATION_ENDPOINT"
)

// The credential keys, present when the AppRegistration declares the credential.
const (
	// KeyClientSecret is the client secret, under the name azidentity's EnvironmentCredential reads.
	KeyClientSecret = "AZURE_CLIENT_SECRET"
	// KeyTLSCert and KeyTLSKey are the certificate (chain, leaf first) and its private key in PEM,
	// the keys of a kubernetes.io/tls Secret.
	KeyTLSCert = "tls.crt"
	KeyTLSKey  = "tls.key"
	// KeyCombinedPEM is the private key and the certificate in one PEM file, cert-manager's
	// tls-combined.pem: what AZURE_CLIENT_CERTIFICATE_PATH must point at (mount the Secret as a
	// volume and set AZURE_CLIENT_CERTIFICATE_PATH=/mount/path/tls-combined.pem).
	KeyCombinedPEM = "tls-combined.pem"
	// KeyCertificateThumbprint is the certificate's SHA-1 thumbprint, as the Azure portal shows it.
	KeyCertificateThumbprint = "AZURE_CLIENT_CERTIFICATE_THUMBPRINT"
)

// The annotations by which the Secret records which credentials it holds: the key IDs Entra gave
// them. With Entra's list of the application's credentials, they are what decides which
// credential is current; status is only a record.
const (
	AnnotationClientSecretKeyID = "entra.sso-operator.io/client-secret-key-id"
	AnnotationCertificateKeyID  = "entra.sso-operator.io/certificate-key-id"
	// AnnotationClientSecretRotation and AnnotationCertificateRotation record the value of the
	// AppRegistration's rotate annotation the credential in the Secret answered. Kept here, beside
	// the credential and written with it, so a reconcile that reads a stale copy of the object's
	// status cannot rotate twice for one request.
	AnnotationClientSecretRotation = "entra.sso-operator.io/client-secret-rotation-request"
	AnnotationCertificateRotation  = "entra.sso-operator.io/certificate-rotation-request"
)

// CredentialAnnotations are every annotation of the Secret the operator owns.
var CredentialAnnotations = []string{AnnotationClientSecretKeyID, AnnotationCertificateKeyID,
	AnnotationClientSecretRotation, AnnotationCertificateRotation}

// Input is what the Secret is rendered from.
type Input struct {
	TenantID string
	ClientID string
	Cloud    cloud.Cloud
	// ClientSecret is the current client secret, when one is declared.
	ClientSecret *ClientSecret
	// Certificate is the current certificate, when one is declared.
	Certificate *Certificate
}

// ClientSecret is a client secret and its key ID.
type ClientSecret struct {
	KeyID string
	Value string
	// RotationRequest is the rotate annotation's value this secret answered, if any.
	RotationRequest string
}

// Certificate is a certificate credential in the forms the Secret carries.
type Certificate struct {
	KeyID string
	// CertPEM and KeyPEM are the certificate chain and the private key; CombinedPEM is both.
	CertPEM, KeyPEM, CombinedPEM []byte
	Thumbprint                   string
	// RotationRequest is the rotate annotation's value this certificate answered, if any.
	RotationRequest string
}

// Render returns the Secret's data in the Generic layout: the tenant's identifiers and endpoints,
// and the credentials declared.
func Render(in Input) map[string][]byte {
	ep := in.Cloud.Endpoints(in.TenantID)
	values := map[string]string{
		KeyTenantID:                    in.TenantID,
		KeyClientID:                    in.ClientID,
		KeyAuthorityHost:               in.Cloud.AuthorityHost,
		KeyIssuer:                      ep.Issuer,
		KeyDiscoveryURL:                ep.DiscoveryURL,
		KeyAuthorizationEndpoint:       ep.AuthorizationEndpoint,
		KeyTokenEndpoint:               ep.TokenEndpoint,
		KeyJWKSURI:                     ep.JWKSURI,
		KeyEndSessionEndpoint:          ep.EndSessionEndpoint,
		KeyUserinfoEndpoint:            ep.UserinfoEndpoint,
		KeyDeviceAuthorizationEndpoint: ep.DeviceAuthorizationEndpoint,
	}
	data := make(map[string][]byte, len(values)+5)
	for k, v := range values {
		data[k] = []byte(v)
	}
	if cs := in.ClientSecret; cs != nil {
		data[KeyClientSecret] = []byte(cs.Value)
	}
	if c := in.Certificate; c != nil {
		data[KeyTLSCert], data[KeyTLSKey], data[KeyCombinedPEM] = c.CertPEM, c.KeyPEM, c.CombinedPEM
		data[KeyCertificateThumbprint] = []byte(c.Thumbprint)
	}
	return data
}

// Annotations are the Secret's record of the credentials it holds, by key ID; a credential the
// Secret does not hold has no annotation.
func Annotations(in Input) map[string]string {
	out := map[string]string{}
	if cs := in.ClientSecret; cs != nil {
		out[AnnotationClientSecretKeyID] = cs.KeyID
		if cs.RotationRequest != "" {
			out[AnnotationClientSecretRotation] = cs.RotationRequest
		}
	}
	if c := in.Certificate; c != nil {
		out[AnnotationCertificateKeyID] = c.KeyID
		if c.RotationRequest != "" {
			out[AnnotationCertificateRotation] = c.RotationRequest
		}
	}
	return out
}
