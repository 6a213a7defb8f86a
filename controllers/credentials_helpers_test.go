package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/rotation"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// offsetClock is real time plus an offset a test moves forward. The operator's requeues run in real
// time, so after a jump to just before a renewal the operator's own RequeueAfter wakes it for the
// renewal: what proves it schedules itself, without a test waiting months.
type offsetClock struct {
	offset atomic.Int64
	// jumps waits for a workload's sign-in in progress, so an assertion signed at one time is not
	// presented after a jump of days: real workloads sign and present within a second.
	jumps sync.RWMutex
}

// steady runs fn with no jump in between.
func (c *offsetClock) steady(fn func()) {
	c.jumps.RLock()
	defer c.jumps.RUnlock()
	fn()
}

func (c *offsetClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// jumpTo moves the clock so that it reads t now; it never goes back.
func (c *offsetClock) jumpTo(t *testing.T, to time.Time) {
	t.Helper()
	c.jumps.Lock()
	defer c.jumps.Unlock()
	d := time.Until(to)
	if d < time.Duration(c.offset.Load()) {
		t.Fatalf("the clock would go back to %v", to)
	}
	c.offset.Store(int64(d))
}

// dedicatedEmulator starts an emulator for one test, on clock when given, and the operator
// identity it should run as: a client holding only Application.ReadWrite.OwnedBy, so every
// credential test also proves that permission is enough.
func dedicatedEmulator(t *testing.T, clk func() time.Time) (*emulator.Server, *emulator.Tenant, managerOptions) {
	t.Helper()
	server, err := emulator.Start(emulator.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	tn := server.Tenants()[0]
	id, secret := tn.AddClient(emulator.RoleApplicationReadWriteOwnedBy)
	return server, tn, managerOptions{server: server, clientID: id, secret: secret}
}

// appIn returns the application an AppRegistration manages in a tenant.
func appIn(t *testing.T, tn *emulator.Tenant, obj *v1.AppRegistration) emulator.Application {
	t.Helper()
	for _, a := range tn.Applications() {
		if a.UniqueName != nil && *a.UniqueName == desired.UniqueName(string(obj.UID)) {
			return a
		}
	}
	t.Fatalf("no application for %s", obj.Name)
	return emulator.Application{}
}

// markedPasswords and markedKeys are the key IDs of the operator's credentials on an application.
func markedPasswords(a emulator.Application) []string {
	return markedKeyIDs(a.PasswordCredentials, func(p emulator.PasswordCredential) (string, *string) { return p.KeyID, p.DisplayName })
}

func markedKeys(a emulator.Application) []string {
	return markedKeyIDs(a.KeyCredentials, func(k emulator.KeyCredential) (string, *string) { return k.KeyID, k.DisplayName })
}

func markedKeyIDs[T any](creds []T, view func(T) (keyID string, displayName *string)) []string {
	var out []string
	for _, c := range creds {
		keyID, name := view(c)
		if _, _, ok := rotation.ParseMark(deref(name)); ok {
			out = append(out, keyID)
		}
	}
	return out
}

// outputSecret reads an AppRegistration's Secret.
func outputSecret(t *testing.T, obj *v1.AppRegistration) *corev1.Secret {
	t.Helper()
	secret := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: obj.Namespace, Name: obj.SecretName()}, secret); err != nil {
		t.Fatalf("reading Secret %s: %v", obj.SecretName(), err)
	}
	return secret
}

// credentialStatus reads one kind's status, waiting until it records a current credential whose
// key ID satisfies accept.
func waitForCurrent(t *testing.T, obj *v1.AppRegistration, kind func(*v1.CredentialsStatus) *v1.CredentialStatus, what string, accept func(keyID string) bool) *v1.CredentialStatus {
	t.Helper()
	var st *v1.CredentialStatus
	waitFor(t, what, func() (bool, string) {
		got := &v1.AppRegistration{}
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			return false, err.Error()
		}
		if got.Status.Credentials == nil || kind(got.Status.Credentials) == nil || kind(got.Status.Credentials).Current == nil {
			return false, "no current credential in status"
		}
		st = kind(got.Status.Credentials)
		return accept(st.Current.KeyID), "current " + st.Current.KeyID
	})
	return st
}

func clientSecretStatus(cs *v1.CredentialsStatus) *v1.CredentialStatus { return cs.ClientSecret }
func certificateStatus(cs *v1.CredentialsStatus) *v1.CredentialStatus  { return cs.Certificate }

// requestToken posts a client credentials request to a tenant's token endpoint, as a workload
// does, and returns the HTTP status and the error codes of a refusal.
func requestToken(server *emulator.Server, tn *emulator.Tenant, form url.Values) (int, string, error) {
	form.Set("grant_type", "client_credentials")
	form.Set("scope", form.Get("client_id")+"/.default")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tn.Endpoints().Token, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := server.HTTPClient().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var refusal struct {
		ErrorCodes []int `json:"error_codes"`
	}
	_ = json.Unmarshal(body, &refusal) // a token answer has no error codes
	return res.StatusCode, fmt.Sprint(refusal.ErrorCodes), nil
}

// secretWorks reports whether a client secret gets a token now.
func secretWorks(server *emulator.Server, tn *emulator.Tenant, clientID, value string) (bool, string) {
	status, codes, err := requestToken(server, tn, url.Values{"client_id": {clientID}, "client_secret": {value}})
	return err == nil && status == http.StatusOK, fmt.Sprintf("%d %s %v", status, codes, err)
}

// certificateWorks reports whether a client assertion signed with a certificate's key gets a token
// at the time now says.
func certificateWorks(server *emulator.Server, tn *emulator.Tenant, clientID string, pair certificate.Pair, now time.Time) (bool, string) {
	assertion, err := pair.ClientAssertion(clientID, tn.Endpoints().Token, now)
	if err != nil {
		return false, err.Error()
	}
	status, codes, err := requestToken(server, tn, url.Values{"client_id": {clientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
	return err == nil && status == http.StatusOK, fmt.Sprintf("%d %s %v", status, codes, err)
}

// consumer is a workload that keeps re-reading the Secret, as a mounted volume is refreshed, and
// signs in with whatever credential it finds there, recording every failure.
type consumer struct {
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}

	mu       sync.Mutex
	failures []string
	// used counts successful sign-ins per credential the consumer found in the Secret, by key ID.
	used map[string]int
}

// startConsumer runs signIn against the Secret's data until the test ends or finish is called.
// signIn returns the key ID of the credential it used (empty when the Secret has none yet) and
// whether the sign-in worked.
func startConsumer(t *testing.T, obj *v1.AppRegistration, signIn func(data map[string][]byte, annotations map[string]string) (keyID string, ok bool, detail string)) *consumer {
	t.Helper()
	c := &consumer{stop: make(chan struct{}), done: make(chan struct{}), used: map[string]int{}}
	go func() {
		defer close(c.done)
		for {
			select {
			case <-c.stop:
				return
			default:
			}
			secret := &corev1.Secret{}
			if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: obj.Namespace, Name: obj.SecretName()}, secret); err == nil {
				keyID, ok, detail := signIn(secret.Data, secret.Annotations)
				c.mu.Lock()
				switch {
				case keyID == "":
				case ok:
					c.used[keyID]++
				default:
					c.failures = append(c.failures, keyID+": "+detail)
				}
				c.mu.Unlock()
			}
			select {
			case <-c.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(c.finish)
	return c
}

func (c *consumer) finish() {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
}

// waitUsed waits until the consumer has signed in with the credential keyID.
func (c *consumer) waitUsed(t *testing.T, keyID string) {
	t.Helper()
	waitFor(t, "the workload to sign in with "+keyID, func() (bool, string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.used[keyID] > 0, fmt.Sprintf("used %v, failures %v", c.used, c.failures)
	})
}

// check stops the consumer and fails the test if any sign-in failed or a credential was never
// used.
func (c *consumer) check(t *testing.T, keyIDs ...string) {
	t.Helper()
	c.finish()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failures) > 0 {
		t.Errorf("the workload failed to sign in %d times: %v", len(c.failures), c.failures[:min(3, len(c.failures))])
	}
	for _, k := range keyIDs {
		if c.used[k] == 0 {
			t.Errorf("the workload never signed in with %s", k)
		}
	}
	t.Logf("the workload signed in %v times, %d failures", c.used, len(c.failures))
}

// conditionMessage reads one condition of an object.
func conditionOf(t *testing.T, obj *v1.AppRegistration, conditionType string) *metav1.Condition {
	t.Helper()
	got := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatal(err)
	}
	return meta.FindStatusCondition(got.Status.Conditions, conditionType)
}

// requestRotation sets the rotate annotation, as kubectl annotate --overwrite does.
func requestRotation(t *testing.T, obj *v1.AppRegistration, value string) {
	t.Helper()
	setAnnotation(t, obj, v1.RotateAnnotation, value)
}

// gaugeValue reads one credential gauge from the manager's registry; ok is false when the series
// does not exist.
func gaugeValue(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := 0
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] == l.GetValue() {
					match++
				}
			}
			if match == len(labels) {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// assertNoSecretsLeaked checks the operator's logs (every manager this process ran), the events of
// every namespace and the statuses of every AppRegistration for the given secret values and for
// anything that looks like a private key or a JWT.
func assertNoSecretsLeaked(t *testing.T, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	var events eventsv1.EventList
	if err := k8sClient.List(ctx, &events); err != nil {
		t.Fatal(err)
	}
	var eventText strings.Builder
	for _, e := range events.Items {
		eventText.WriteString(e.Note + "\n" + e.Reason + "\n")
	}
	var objs v1.AppRegistrationList
	if err := k8sClient.List(ctx, &objs); err != nil {
		t.Fatal(err)
	}
	statuses, err := json.Marshal(func() []v1.AppRegistrationStatus {
		out := make([]v1.AppRegistrationStatus, 0, len(objs.Items))
		for _, o := range objs.Items {
			out = append(out, o.Status)
		}
		return out
	}())
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"logs": logs.String(), "events": eventText.String(), "statuses": string(statuses)} {
		if text == "" {
			t.Errorf("no %s were captured", where)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret value appears in the %s", where)
			}
		}
		for _, marker := range []string{"PRIVATE KEY", "eyJ"} {
			if i := strings.Index(text, marker); i >= 0 {
				t.Errorf("something like a key or a JWT appears in the %s: %.40s", where, text[i:])
			}
		}
	}
}

// clientSecretOf reads the client secret and its key ID from Secret data.
func clientSecretOf(data map[string][]byte, annotations map[string]string) (string, string) {
	return string(data[secretdata.KeyClientSecret]), annotations[secretdata.AnnotationClientSecretKeyID]
}

// changeSpec changes an object's spec with a merge patch, which the operator's own status writes
// cannot make conflict.
func changeSpec(t *testing.T, obj *v1.AppRegistration, change func(*v1.AppRegistration)) {
	t.Helper()
	cur := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), cur); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(cur.DeepCopy())
	change(cur)
	if err := k8sClient.Patch(context.Background(), cur, patch); err != nil {
		t.Fatal(err)
	}
}
