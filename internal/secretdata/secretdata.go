// Package secretdata renders the keys of the Kubernetes Secret a workload reads its Entra ID client
// configuration from. It is the one place that knows the Secret's layout: one file per format
// (generic.go, espocrm.go, orocrm.go, smtp.go, threecx.go), the per-key templates of
// spec.secret.templates (template.go), and the Secret's metadata and content hash (metadata.go).
// Rendering is pure: the same Input always gives the same Secret.
package secretdata

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

// Format is a layout of the Secret's keys: the names one kind of workload reads.
type Format string

// The formats. Their names are the values of spec.secret.format.
const (
	// FormatGeneric is azidentity's environment names plus the tenant's OIDC endpoints.
	FormatGeneric Format = "Generic"
	// FormatEspoCRM is EspoCRM's ESPOCRM_CONFIG_* environment variables for OIDC sign-in.
	FormatEspoCRM Format = "EspoCRM"
	// FormatOroCRM is OroCRM's Microsoft 365 integration settings (sign-in and mailbox sync).
	FormatOroCRM Format = "OroCRM"
	// FormatSMTP is what a CRM sending mail over SMTP with XOAUTH2 asks for.
	FormatSMTP Format = "SMTP"
	// FormatThreeCX is what 3CX's Microsoft 365 integration asks for: IDs and a certificate.
	FormatThreeCX Format = "ThreeCX"
)

// Formats lists every format.
var Formats = []Format{FormatGeneric, FormatEspoCRM, FormatOroCRM, FormatSMTP, FormatThreeCX}

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
	// AnnotationFormat records the format the Secret was written in, when not Generic, so the
	// credentials are read back from the keys that format puts them under even after
	// spec.secret.format changed. No annotation means Generic (Secrets written before formats existed).
	AnnotationFormat = "entra.sso-operator.io/secret-format"
)

// CredentialAnnotations are the annotations that record the Secret's credentials and format.
var CredentialAnnotations = []string{AnnotationClientSecretKeyID, AnnotationCertificateKeyID,
	AnnotationClientSecretRotation, AnnotationCertificateRotation, AnnotationFormat}

// Input is what the Secret is rendered from.
type Input struct {
	TenantID string
	ClientID string
	Cloud    cloud.Cloud
	// ClientSecret is the current client secret, when one is declared.
	ClientSecret *ClientSecret
	// Certificate is the current certificate, when one is declared.
	Certificate *Certificate
	// Format is spec.secret.format; "" means Generic.
	Format Format
	// RedirectURIs are the application's web redirect URIs, as declared.
	RedirectURIs []string
	// DelegatedPermissions are the names of the delegated permissions the spec declares, on any
	// resource, in the order declared.
	DelegatedPermissions []string
	// Templates are spec.secret.templates: keys rendered from Values besides the format's.
	Templates []Template
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

// Values are what every format is rendered from, and all a template of spec.secret.templates can
// refer to: {{ .ClientID }}, {{ .TokenEndpoint }}. A field this struct lacks makes the template
// fail, so a typo is reported instead of rendering an empty value. The README lists the fields.
type Values struct {
	// TenantID and ClientID are the directory (tenant) ID and the application (client) ID.
	TenantID string
	ClientID string
	// ClientSecret is the current client secret's value; empty when none is declared.
	ClientSecret string
	// AuthorityHost is the identity platform's root, such as https://login.microsoftonline.com/.
	AuthorityHost string
	// Endpoints are the tenant's OpenID Connect endpoints (v2.0), as its discovery document lists
	// them; a template names them directly: {{ .Issuer }}, {{ .DiscoveryURL }},
	// {{ .AuthorizationEndpoint }}, {{ .TokenEndpoint }}, {{ .JWKSURI }}, {{ .EndSessionEndpoint }},
	// {{ .UserinfoEndpoint }}, {{ .DeviceAuthorizationEndpoint }}.
	cloud.Endpoints
	// CertificatePEM, PrivateKeyPEM and CombinedPEM are the current certificate's chain, its
	// private key (PKCS#8) and both in one file; CertificateThumbprint its SHA-1 thumbprint as the
	// portal shows it. Empty when no certificate is declared.
	CertificatePEM        string
	PrivateKeyPEM         string
	CombinedPEM           string
	CertificateThumbprint string
	// RedirectURIs are the application's web redirect URIs.
	RedirectURIs []string
}

// layout is one format: the keys it writes and where its credentials go.
type layout struct {
	// keys are every key the format may write, credentials included; templates may not take them.
	keys []string
	// clientSecret, certificate and privateKey name the keys holding the client secret, the
	// certificate chain (PEM) and its private key (PEM) verbatim, so the operator can read back
	// what the Secret holds; "" when the format carries no such credential.
	clientSecret, certificate, privateKey string
	// render returns the format's keys and values.
	render func(in Input, v Values) (map[string]string, error)
}

// layouts maps each format to its layout; each format's file defines its own.
var layouts = map[Format]layout{
	FormatGeneric: generic,
	FormatEspoCRM: espoCRM,
	FormatOroCRM:  oroCRM,
	FormatSMTP:    smtp,
	FormatThreeCX: threeCX,
}

func layoutOf(f Format) (layout, error) {
	l, ok := layouts[formatOrGeneric(f)]
	if !ok {
		return layout{}, &Error{Reason: fmt.Sprintf("unknown format %q", f)}
	}
	return l, nil
}

// Error says why the Secret cannot be rendered. Its message names the key or the format and
// never holds a value of the Secret.
type Error struct {
	// Key is the template's key, when a template is at fault.
	Key string
	// Reason says what is wrong.
	Reason string
}

func (e *Error) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("spec.secret.templates key %s: %s", e.Key, e.Reason)
	}
	return "spec.secret.format: " + e.Reason
}

// Template reports whether a template, rather than the format, is at fault.
func (e *Error) Template() bool { return e.Key != "" }

// RenderFormat returns the format's keys and values. It fails only when the format cannot be
// rendered in the Input's cloud.
func RenderFormat(in Input) (map[string][]byte, error) {
	l, err := layoutOf(in.Format)
	if err != nil {
		return nil, err
	}
	kv, err := l.render(in, valuesOf(in))
	if err != nil {
		return nil, err
	}
	return bytesOf(kv), nil
}

// RenderTemplates returns the keys and values of the Input's templates. The first template that
// fails to parse or execute, or takes a key of the format, fails them all with an *Error naming
// its key.
func RenderTemplates(in Input) (map[string][]byte, error) {
	l, err := layoutOf(in.Format)
	if err != nil {
		return nil, err
	}
	v := valuesOf(in)
	kv := make(map[string]string, len(in.Templates))
	for _, t := range in.Templates {
		if slices.Contains(l.keys, t.Key) {
			return nil, &Error{Key: t.Key, Reason: fmt.Sprintf("is a key of the %s format; templates add keys, they do not replace the format's", formatOrGeneric(in.Format))}
		}
		if _, dup := kv[t.Key]; dup {
			return nil, &Error{Key: t.Key, Reason: "appears twice"}
		}
		out, err := renderTemplate(t, v)
		if err != nil {
			return nil, err
		}
		kv[t.Key] = out
	}
	return bytesOf(kv), nil
}

// Render returns the Secret's data: the format's keys and the templates'.
func Render(in Input) (map[string][]byte, error) {
	data, err := RenderFormat(in)
	if err != nil {
		return nil, err
	}
	extra, err := RenderTemplates(in)
	if err != nil {
		return nil, err
	}
	maps.Copy(data, extra)
	return data, nil
}

func bytesOf(kv map[string]string) map[string][]byte {
	data := make(map[string][]byte, len(kv))
	for k, v := range kv {
		data[k] = []byte(v)
	}
	return data
}

func formatOrGeneric(f Format) Format {
	if f == "" {
		return FormatGeneric
	}
	return f
}

// valuesOf computes what the formats and templates render from.
func valuesOf(in Input) Values {
	v := Values{
		TenantID: in.TenantID, ClientID: in.ClientID, AuthorityHost: in.Cloud.AuthorityHost,
		Endpoints: in.Cloud.Endpoints(in.TenantID), RedirectURIs: slices.Clone(in.RedirectURIs),
	}
	if cs := in.ClientSecret; cs != nil {
		v.ClientSecret = cs.Value
	}
	if c := in.Certificate; c != nil {
		v.CertificatePEM, v.PrivateKeyPEM, v.CombinedPEM = string(c.CertPEM), string(c.KeyPEM), string(c.CombinedPEM)
		v.CertificateThumbprint = c.Thumbprint
	}
	return v
}

// Keys are every key a format may write, credentials included, sorted: the keys
// spec.secret.templates may not use with that format.
func Keys(f Format) []string {
	l, err := layoutOf(f)
	if err != nil {
		return nil
	}
	return slices.Sorted(slices.Values(l.keys))
}

// CredentialKeys name the keys that hold the client secret, the certificate chain and its
// private key in a format; "" for a credential the format does not carry.
func CredentialKeys(f Format) (clientSecret, certificate, privateKey string) {
	l, err := layoutOf(f)
	if err != nil {
		return "", "", ""
	}
	return l.clientSecret, l.certificate, l.privateKey
}

// FormatOf is the format a Secret was written in, from its annotations.
func FormatOf(annotations map[string]string) Format {
	if f := annotations[AnnotationFormat]; f != "" {
		return Format(f)
	}
	return FormatGeneric
}

// Annotations are the Secret's record of the credentials it holds, by key ID, and of its format;
// a credential the Secret does not hold has no annotation.
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
	if in.Format != "" && in.Format != FormatGeneric {
		out[AnnotationFormat] = string(in.Format)
	}
	return out
}

// withClientSecret adds the client secret under key, when one is declared.
func withClientSecret(kv map[string]string, key string, v Values) map[string]string {
	if v.ClientSecret != "" {
		kv[key] = v.ClientSecret
	}
	return kv
}

// withCertificate adds the certificate chain and its private key under their keys, when a
// certificate is declared.
func withCertificate(kv map[string]string, certificateKey, privateKeyKey string, v Values) map[string]string {
	if v.CertificatePEM != "" {
		kv[certificateKey], kv[privateKeyKey] = v.CertificatePEM, v.PrivateKeyPEM
	}
	return kv
}

// without returns kv without its empty values: a key whose value the spec does not provide is left
// out rather than written empty.
func without(kv map[string]string) map[string]string {
	maps.DeleteFunc(kv, func(_, v string) bool { return v == "" })
	return kv
}

// spaced joins values with single spaces, the separator of OAuth scope lists.
func spaced(values []string) string { return strings.Join(values, " ") }
