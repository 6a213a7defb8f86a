package demo

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// publicSecretKeys are the Secret keys whose values the summary prints: identifiers and URLs that
// any client of the tenant may know. Every other key is masked, so a credential a later feature adds
// (a client secret, a private key, a CRM's password) is hidden until someone decides otherwise here.
var publicSecretKeys = map[string]bool{
	secretdata.KeyTenantID:                    true,
	secretdata.KeyClientID:                    true,
	secretdata.KeyAuthorityHost:               true,
	secretdata.KeyIssuer:                      true,
	secretdata.KeyDiscoveryURL:                true,
	secretdata.KeyAuthorizationEndpoint:       true,
	secretdata.KeyTokenEndpoint:               true,
	secretdata.KeyJWKSURI:                     true,
	secretdata.KeyEndSessionEndpoint:          true,
	secretdata.KeyUserinfoEndpoint:            true,
	secretdata.KeyDeviceAuthorizationEndpoint: true,
	// A thumbprint names a certificate; it is no secret (the portal shows it).
	secretdata.KeyCertificateThumbprint: true,

	secretdata.EspoCRMAuthenticationMethod:  true,
	secretdata.EspoCRMClientID:              true,
	secretdata.EspoCRMAuthorizationEndpoint: true,
	secretdata.EspoCRMTokenEndpoint:         true,
	secretdata.EspoCRMJWKSEndpoint:          true,
	secretdata.EspoCRMLogoutURL:             true,
	secretdata.EspoCRMUsernameClaim:         true,
	secretdata.EspoCRMCreateUser:            true,

	secretdata.OroCRMClientID:     true,
	secretdata.OroCRMTenant:       true,
	secretdata.OroCRMMailScopes:   true,
	secretdata.OroCRMRedirectURIs: true,

	secretdata.SMTPHost:                  true,
	secretdata.SMTPPort:                  true,
	secretdata.SMTPEncryption:            true,
	secretdata.SMTPAuthMechanism:         true,
	secretdata.SMTPTenantID:              true,
	secretdata.SMTPClientID:              true,
	secretdata.SMTPAuthorizationEndpoint: true,
	secretdata.SMTPTokenEndpoint:         true,
	secretdata.SMTPScope:                 true,

	secretdata.ThreeCXClientID:              true,
	secretdata.ThreeCXTenantID:              true,
	secretdata.ThreeCXCertificateThumbprint: true,
}

// sampleReport is what the demo found out about one AppRegistration.
type sampleReport struct {
	obj        entrav1alpha1.AppRegistration
	readyAfter time.Duration
	// secret is the data of the AppRegistration's Secret; secretErr says why it could not be read.
	secret    map[string][]byte
	secretErr error
	proofs    []secretproof.Result
}

// secretName is the Secret the operator reports having written, or the one the spec names.
func (r sampleReport) secretName() string {
	if r.obj.Status.SecretName != "" {
		return r.obj.Status.SecretName
	}
	return r.obj.SecretName()
}

// failures lists what keeps this AppRegistration from counting as proven.
func (r sampleReport) failures() []string {
	name := r.obj.Namespace + "/" + r.obj.Name
	if r.secretErr != nil {
		return []string{fmt.Sprintf("%s: reading Secret %s: %v", name, r.secretName(), r.secretErr)}
	}
	var out []string
	applied := 0
	for _, p := range r.proofs {
		if p.Applied() {
			applied++
		}
		if p.Applied() && p.Err != nil {
			out = append(out, fmt.Sprintf("%s: %s failed: %v", name, p.Prover, p.Err))
		}
	}
	if applied == 0 {
		out = append(out, fmt.Sprintf("%s: no proof applies to the keys of Secret %s", name, r.secretName()))
	}
	return out
}

// writeReport prints one AppRegistration: its Entra identity, its Secret (credentials masked) and
// the proofs run from that Secret.
func writeReport(w io.Writer, r sampleReport) {
	ready := meta.FindStatusCondition(r.obj.Status.Conditions, entrav1alpha1.ConditionReady)
	reason := ""
	if ready != nil {
		reason = ready.Reason
	}
	fmt.Fprintf(w, "AppRegistration %s/%s: Ready (%s), %s after kubectl apply\n", r.obj.Namespace, r.obj.Name, reason,
		r.readyAfter.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  display name     %s\n", r.obj.Spec.DisplayName)
	fmt.Fprintf(w, "  application ID   %s\n", r.obj.Status.AppID)
	fmt.Fprintf(w, "  tenant ID        %s\n", r.obj.Status.TenantID)
	writeConsent(w, r.obj)
	for _, c := range r.obj.Status.Consumers {
		fmt.Fprintf(w, "  consumer         %s %s: pod template annotation %s=%s\n", c.Kind, c.Name, secretdata.AnnotationContentHash, c.SecretHash)
	}
	if r.secretErr != nil {
		fmt.Fprintf(w, "  Secret %s/%s: %v\n", r.obj.Namespace, r.secretName(), r.secretErr)
		return
	}
	fmt.Fprintf(w, "  Secret %s/%s, format %s (credentials masked):\n", r.obj.Namespace, r.secretName(), secretFormat(r.obj))
	writeSecretData(w, r.secret, "    ")
	fmt.Fprintf(w, "  Proofs, from this Secret's keys and the emulator's CA only:\n")
	for _, p := range r.proofs {
		switch {
		case !p.Applied():
			fmt.Fprintf(w, "    skip  %s: the Secret has no %s\n", p.Prover, strings.Join(p.Missing, ", "))
		case p.Err != nil:
			fmt.Fprintf(w, "    FAIL  %s: %v\n", p.Prover, p.Err)
		default:
			fmt.Fprintf(w, "    pass  %s: %s\n", p.Prover, p.Detail)
		}
	}
}

// writeSecretData prints the Secret's keys in order, with the value of public keys and only the
// length of every other one.
func writeSecretData(w io.Writer, data map[string][]byte, prefix string) {
	keys := slices.Sorted(maps.Keys(data))
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		value := fmt.Sprintf("(masked, %d bytes)", len(data[k]))
		if publicSecretKeys[k] {
			value = string(data[k])
		}
		fmt.Fprintf(w, "%s%-*s  %s\n", prefix, width, k, value)
	}
}

// secretFormat is the object's spec.secret.format, defaulted.
func secretFormat(obj entrav1alpha1.AppRegistration) entrav1alpha1.SecretFormat {
	if f := obj.Spec.Secret.Format; f != "" {
		return f
	}
	return entrav1alpha1.SecretFormatGeneric
}
