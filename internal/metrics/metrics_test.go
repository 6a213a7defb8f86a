package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserveGraphRequest(t *testing.T) {
	before := testutil.ToFloat64(GraphRequests.WithLabelValues("PATCH", "429"))
	ObserveGraphRequest("PATCH", 429)
	ObserveGraphRequest("PATCH", 429)
	ObserveGraphRequest("GET", 200)
	if got := testutil.ToFloat64(GraphRequests.WithLabelValues("PATCH", "429")) - before; got != 2 {
		t.Errorf("PATCH 429 counted %v times, want 2", got)
	}
}

func TestCredentialGaugesAreSetAndForgotten(t *testing.T) {
	exp, renew := time.Unix(2_000_000_000, 0), time.Unix(1_990_000_000, 500_000_000)
	SetCredential("crm", "espocrm", KindClientSecret, exp, renew)
	SetCredential("crm", "espocrm", KindCertificate, exp, time.Time{})
	SetCredential("crm", "other", KindClientSecret, exp, renew)
	if got := testutil.ToFloat64(CredentialExpiration.WithLabelValues("crm", "espocrm", KindClientSecret)); got != 2e9 {
		t.Errorf("expiration = %v", got)
	}
	if got := testutil.ToFloat64(CredentialRenewal.WithLabelValues("crm", "espocrm", KindClientSecret)); got != 1_990_000_000.5 {
		t.Errorf("renewal = %v", got)
	}
	if got := testutil.ToFloat64(CredentialRenewal.WithLabelValues("crm", "espocrm", KindCertificate)); got != 0 {
		t.Errorf("renewal of a followed certificate = %v, want 0", got)
	}
	ForgetCredential("crm", "espocrm", KindCertificate)
	if n := testutil.CollectAndCount(CredentialExpiration); n != 2 {
		t.Errorf("%d expiration series after forgetting one, want 2", n)
	}
	ForgetCredentials("crm", "espocrm")
	if n := testutil.CollectAndCount(CredentialExpiration); n != 1 {
		t.Errorf("%d expiration series after forgetting the object, want 1 (the other object's)", n)
	}
	ForgetCredentials("crm", "other")
}
