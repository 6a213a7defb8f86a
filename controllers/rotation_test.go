package controllers_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// rotationSpec is a short rotation: valid 100 h, renewed 20 h before the end, the previous one kept
// for 2 h. The tests move an offset clock; only seconds pass in real time.
func rotationSpec() v1.Rotation {
	return v1.Rotation{
		ValidFor:     &metav1.Duration{Duration: 100 * time.Hour},
		RenewBefore:  &metav1.Duration{Duration: 20 * time.Hour},
		KeepPrevious: &metav1.Duration{Duration: 2 * time.Hour},
	}
}

// wakeBefore is how far before a scheduled time the tests jump: the operator must wake itself for it.
const wakeBefore = 2 * time.Second

// TestClientSecretRotatesWithoutDowntime runs a workload that keeps re-reading the Secret and
// signing in with its client secret through a renewal on schedule, a requested rotation, and a
// requested rotation that must wait for the previous overlap, on an application that admits
// personal accounts (two secrets at most). Every sign-in must work; each replaced secret must stop
// working once its overlap ends; at rest the application holds only the current secret. The
// operator wakes itself at each renewal and end of overlap: the test only jumps the clock to just
// before them and touches the object once so it reschedules from the new time.
func TestClientSecretRotatesWithoutDowntime(t *testing.T) {
	clk := &offsetClock{}
	server, tn, opts := dedicatedEmulator(t, clk.Now)
	opts.clock, opts.freshTokens = clk, true
	startManager(t, opts)
	ctx := context.Background()

	in := espoCRM(newNamespace(t), "rotating")
	in.Spec.SignInAudience = v1.AudienceOrgsAndPersonal
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{Rotation: rotationSpec()}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	first := waitForCurrent(t, obj, clientSecretStatus, "a client secret", func(string) bool { return true })
	s1 := first.Current.KeyID
	values := &seen[string]{}
	workload := startConsumer(t, obj, func(data map[string][]byte, annotations map[string]string) (string, bool, string) {
		value, keyID := clientSecretOf(data, annotations)
		if value == "" {
			return "", false, ""
		}
		values.put(keyID, value)
		ok, detail := secretWorks(server, tn, string(data[secretdata.KeyClientID]), value)
		return keyID, ok, detail
	})
	workload.waitUsed(t, s1)
	checkGauges(t, obj, "clientSecret", first.Current)

	// Renewal on schedule: one add now, one removal when the overlap ends, nothing else.
	server.ResetCounters()
	clk.jumpTo(t, first.Current.RenewalTime.Add(-wakeBefore))
	touch(t, obj, "renewal")
	second := waitForCurrent(t, obj, clientSecretStatus, "the renewed client secret", func(k string) bool { return k != s1 })
	s2 := second.Current.KeyID
	workload.waitUsed(t, s2)
	if marked := markedPasswords(appIn(t, tn, obj)); len(marked) != 2 {
		t.Errorf("during the overlap the application holds %v, want the current and the previous secret", marked)
	}
	if len(second.Previous) != 1 || second.Previous[0].KeyID != s1 || second.Previous[0].RemovalTime == nil {
		t.Fatalf("status.previous = %+v, want %s with its removal time", second.Previous, s1)
	}
	waitForEvent(t, obj, "CredentialRotated", s2)
	clk.jumpTo(t, second.Previous[0].RemovalTime.Add(-wakeBefore))
	touch(t, obj, "overlap")
	waitFor(t, "the previous secret to be removed at the end of its overlap", func() (bool, string) {
		m := markedPasswords(appIn(t, tn, obj))
		return slices.Equal(m, []string{s2}), fmt.Sprint(m)
	})
	if ok, detail := secretWorks(server, tn, obj.Status.AppID, values.get(s1)); ok {
		t.Errorf("the replaced secret still signs in after its overlap: %s", detail)
	}
	waitIdle(t)
	c := server.Counters()
	t.Logf("one rotation: %d Graph writes (%v), %d reads", c.Writes, c.ByOperation, c.Reads)
	if c.ByOperation["application.addPassword"] != 1 || c.ByOperation["application.removePassword"] != 1 || c.Writes != 2 {
		t.Errorf("a rotation cost %d writes (%v), want one addPassword and one removePassword", c.Writes, c.ByOperation)
	}

	// A requested rotation, at once: nothing overlaps.
	requestRotation(t, obj, "first")
	third := waitForCurrent(t, obj, clientSecretStatus, "the requested rotation", func(k string) bool { return k != s2 })
	s3 := third.Current.KeyID
	workload.waitUsed(t, s3)
	if third.RotationRequest != "first" {
		t.Errorf("status.rotationRequest = %q, want the handled annotation value", third.RotationRequest)
	}

	// A second request during the overlap waits for it: a personal-account application may not
	// hold three secrets, and the previous secret's holders keep their overlap.
	requestRotation(t, obj, "second")
	waitFor(t, "the second rotation to wait for the overlap", func() (bool, string) {
		cond := conditionOf(t, obj, v1.ConditionCredentialsReady)
		return cond != nil && strings.Contains(cond.Message, "waits for the previous one's overlap"), fmt.Sprint(cond)
	})
	if marked := markedPasswords(appIn(t, tn, obj)); len(marked) != 2 {
		t.Errorf("the application holds %v while a rotation waits, want two secrets", marked)
	}
	clk.jumpTo(t, third.Previous[0].RemovalTime.Add(-wakeBefore))
	touch(t, obj, "deferred")
	fourth := waitForCurrent(t, obj, clientSecretStatus, "the deferred rotation", func(k string) bool { return k != s3 })
	s4 := fourth.Current.KeyID
	workload.waitUsed(t, s4)
	if ok, _ := secretWorks(server, tn, obj.Status.AppID, values.get(s2)); ok {
		t.Error("the secret replaced by the first request still signs in after its overlap")
	}
	clk.jumpTo(t, fourth.Previous[0].RemovalTime.Add(-wakeBefore))
	touch(t, obj, "last overlap")
	waitFor(t, "only the current secret to remain", func() (bool, string) {
		m := markedPasswords(appIn(t, tn, obj))
		return slices.Equal(m, []string{s4}), fmt.Sprint(m)
	})

	workload.check(t, s1, s2, s3, s4)
	if ok, _ := secretWorks(server, tn, obj.Status.AppID, values.get(s3)); ok {
		t.Error("a replaced secret still signs in after its overlap")
	}
	assertNoSecretsLeaked(t, values.all()...)

	// The gauges go with the object.
	if err := k8sClient.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the credential gauges to go with the object", func() (bool, string) {
		_, ok := gaugeValue(t, "entra_sso_operator_credential_expiration_timestamp_seconds",
			map[string]string{"namespace": obj.Namespace, "name": obj.Name, "kind": "clientSecret"})
		return !ok, "still exported"
	})
}

// TestGeneratedCertificateRotatesWithoutDowntime does for a generated certificate what the client
// secret test does: a workload signing client assertions with tls.key from the Secret never fails
// through a scheduled renewal, a requested rotation and a change of key type, and replaced
// certificates stop working when their overlap ends. The first certificate goes in with a write of
// keyCredentials, the later ones with addKey and removeKey and a proof.
func TestGeneratedCertificateRotatesWithoutDowntime(t *testing.T) {
	clk := &offsetClock{}
	server, tn, opts := dedicatedEmulator(t, clk.Now)
	opts.clock, opts.freshTokens = clk, true
	startManager(t, opts)
	ctx := context.Background()

	in := espoCRM(newNamespace(t), "certificate")
	in.Spec.Credentials = &v1.Credentials{Certificate: &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{Rotation: rotationSpec()}}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	first := waitForCurrent(t, obj, certificateStatus, "a certificate", func(string) bool { return true })
	c1 := first.Current.KeyID
	if n := server.Counters().ByOperation["application.patch"]; n != 1 {
		t.Errorf("the first certificate took %d keyCredentials writes, want 1", n)
	}
	secret := outputSecret(t, obj)
	pair, err := certificate.Parse(secret.Data[secretdata.KeyTLSCert], secret.Data[secretdata.KeyTLSKey])
	if err != nil {
		t.Fatalf("the Secret's tls.crt and tls.key: %v", err)
	}
	if kt, bits := pair.KeyType(); kt != certificate.KeyTypeRSA || bits != 2048 {
		t.Errorf("generated %s %d, want RSA 2048", kt, bits)
	}
	if string(secret.Data[secretdata.KeyCertificateThumbprint]) != pair.Thumbprint() || first.Current.Thumbprint != pair.Thumbprint() {
		t.Errorf("thumbprints: Secret %s, status %s, certificate %s", secret.Data[secretdata.KeyCertificateThumbprint], first.Current.Thumbprint, pair.Thumbprint())
	}
	if combined, err := certificate.Parse(secret.Data[secretdata.KeyCombinedPEM], secret.Data[secretdata.KeyCombinedPEM]); err != nil || combined.Thumbprint() != pair.Thumbprint() {
		t.Errorf("tls-combined.pem does not hold the certificate and its key: %v", err)
	}
	pairs := &seen[certificate.Pair]{}
	workload := startConsumer(t, obj, func(data map[string][]byte, annotations map[string]string) (string, bool, string) {
		keyID := annotations[secretdata.AnnotationCertificateKeyID]
		p, err := certificate.Parse(data[secretdata.KeyTLSCert], data[secretdata.KeyTLSKey])
		if err != nil || keyID == "" {
			return "", false, ""
		}
		pairs.put(keyID, p)
		var ok bool
		var detail string
		clk.steady(func() { ok, detail = certificateWorks(server, tn, string(data[secretdata.KeyClientID]), p, clk.Now()) })
		return keyID, ok, detail
	})
	workload.waitUsed(t, c1)

	server.ResetCounters()
	clk.jumpTo(t, first.Current.RenewalTime.Add(-wakeBefore))
	touch(t, obj, "renewal")
	second := waitForCurrent(t, obj, certificateStatus, "the renewed certificate", func(k string) bool { return k != c1 })
	c2 := second.Current.KeyID
	workload.waitUsed(t, c2)
	clk.jumpTo(t, second.Previous[0].RemovalTime.Add(-wakeBefore))
	touch(t, obj, "overlap")
	waitFor(t, "the previous certificate to be removed", func() (bool, string) {
		m := markedKeys(appIn(t, tn, obj))
		return slices.Equal(m, []string{c2}), fmt.Sprint(m)
	})
	if ok, detail := certificateWorks(server, tn, obj.Status.AppID, pairs.get(c1), clk.Now()); ok {
		t.Errorf("the replaced certificate still signs in after its overlap: %s", detail)
	}
	waitIdle(t)
	c := server.Counters()
	t.Logf("one certificate rotation: %d Graph writes (%v)", c.Writes, c.ByOperation)
	if c.ByOperation["application.addKey"] != 1 || c.ByOperation["application.removeKey"] != 1 || c.Writes != 2 {
		t.Errorf("a certificate rotation cost %d writes (%v), want one addKey and one removeKey", c.Writes, c.ByOperation)
	}

	requestRotation(t, obj, "now")
	third := waitForCurrent(t, obj, certificateStatus, "the requested rotation", func(k string) bool { return k != c2 })
	c3 := third.Current.KeyID
	workload.waitUsed(t, c3)
	clk.jumpTo(t, third.Previous[0].RemovalTime.Add(-wakeBefore))
	touch(t, obj, "overlap 2")
	waitFor(t, "the second previous certificate to be removed", func() (bool, string) {
		m := markedKeys(appIn(t, tn, obj))
		return slices.Equal(m, []string{c3}), fmt.Sprint(m)
	})

	// Another key type makes the current certificate stale: it is replaced, with the overlap.
	changeSpec(t, obj, func(cur *v1.AppRegistration) {
		cur.Spec.Credentials.Certificate.Generate.KeyType = v1.CertificateKeyECDSA
	})
	fourth := waitForCurrent(t, obj, certificateStatus, "an ECDSA certificate", func(k string) bool { return k != c3 })
	workload.waitUsed(t, fourth.Current.KeyID)
	if _, ok := pairs.get(fourth.Current.KeyID).Key.Public().(*ecdsa.PublicKey); !ok {
		t.Errorf("the certificate after the key type change has a %T key", pairs.get(fourth.Current.KeyID).Key.Public())
	}

	workload.check(t, c1, c2, c3, fourth.Current.KeyID)
	assertNoSecretsLeaked(t, string(pair.KeyPEM))
}

// seen remembers what the workload found in the Secret, by key ID, safe for the workload's
// goroutine and the test's.
type seen[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

func (s *seen[T]) put(k string, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]T{}
	}
	s.m[k] = v
}

func (s *seen[T]) get(k string) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

func (s *seen[T]) all() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T, 0, len(s.m))
	for _, v := range s.m {
		out = append(out, v)
	}
	return out
}

// checkGauges compares the credential gauges of one kind with the current credential in status.
func checkGauges(t *testing.T, obj *v1.AppRegistration, kind string, current *v1.CredentialRecord) {
	t.Helper()
	labels := map[string]string{"namespace": obj.Namespace, "name": obj.Name, "kind": kind}
	if got, ok := gaugeValue(t, "entra_sso_operator_credential_expiration_timestamp_seconds", labels); !ok || int64(got) != current.EndDateTime.Unix() {
		t.Errorf("expiration gauge = %v (exists %v), want %d", got, ok, current.EndDateTime.Unix())
	}
	if got, ok := gaugeValue(t, "entra_sso_operator_credential_renewal_timestamp_seconds", labels); !ok || int64(got) != current.RenewalTime.Unix() {
		t.Errorf("renewal gauge = %v (exists %v), want %d", got, ok, current.RenewalTime.Unix())
	}
}
