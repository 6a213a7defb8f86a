package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Credential kinds, the kind label of the credential metrics.
const (
	KindClientSecret = "clientSecret"
	KindCertificate  = "certificate"
)

// The labels of the credential metrics: the AppRegistration and the kind of credential.
const (
	labelNamespace = "namespace"
	labelName      = "name"
	labelKind      = "kind"
)

var credentialLabels = []string{labelNamespace, labelName, labelKind}

// The credential gauges, named after cert-manager's certmanager_certificate_*_timestamp_seconds so
// the same alerts carry over: alert when expiration minus time() is small, or when renewal lies in
// the past (a renewal the operator could not do).
var (
	CredentialExpiration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "entra_sso_operator_credential_expiration_timestamp_seconds",
		Help: "When the current credential of an AppRegistration expires, in Unix seconds.",
	}, credentialLabels)
	CredentialRenewal = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "entra_sso_operator_credential_renewal_timestamp_seconds",
		Help: "When the operator will replace the current credential of an AppRegistration, in Unix seconds; 0 when it follows a certificate someone else renews.",
	}, credentialLabels)
)

// SetCredential records the current credential of one kind of an AppRegistration. A zero renewal
// (a referenced certificate, renewed by whoever issues it) is recorded as 0.
func SetCredential(namespace, name, kind string, expiration, renewal time.Time) {
	CredentialExpiration.WithLabelValues(namespace, name, kind).Set(unixSeconds(expiration))
	CredentialRenewal.WithLabelValues(namespace, name, kind).Set(unixSeconds(renewal))
}

// ForgetCredential drops the series of one kind of credential, which the AppRegistration no
// longer has.
func ForgetCredential(namespace, name, kind string) {
	CredentialExpiration.DeleteLabelValues(namespace, name, kind)
	CredentialRenewal.DeleteLabelValues(namespace, name, kind)
}

// ForgetCredentials drops every credential series of an AppRegistration that is gone.
func ForgetCredentials(namespace, name string) {
	labels := prometheus.Labels{labelNamespace: namespace, labelName: name}
	CredentialExpiration.DeletePartialMatch(labels)
	CredentialRenewal.DeletePartialMatch(labels)
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
