package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// TestSettle pins down what each kind of outcome does to the Ready condition and to the controller's
// next step: wait for a schedule, back off on an error, or wait for a spec change.
func TestSettle(t *testing.T) {
	graphErr := func(kind graph.Kind, status int, retryAfter time.Duration) error {
		return fmt.Errorf("phase: %w", &graph.Error{Op: "update the application", Permission: "Some.Permission",
			Status: status, Code: "Code", Message: "msg", Kind: kind, RetryAfter: retryAfter})
	}
	const resync = -1 // "about the resync period"
	cases := []struct {
		name        string
		err         error
		wantReason  string
		wantErr     bool
		wantRequeue time.Duration // the least; throttling adds up to 10% jitter
		wantInMsg   string
		wantEvent   bool
	}{
		{"forbidden names the operation's permission", graphErr(graph.KindForbidden, 403, 0), v1.ReasonPermissionDenied, true, 0, "Some.Permission", true},
		{"bad request resyncs", graphErr(graph.KindBadRequest, 400, 0), v1.ReasonInvalidSpec, false, resync, "400 Bad Request (Code): msg", true},
		{"throttled with Retry-After", graphErr(graph.KindThrottled, 429, 42*time.Second), v1.ReasonThrottled, false, 42 * time.Second, "retrying in 4", true},
		{"throttled without Retry-After", graphErr(graph.KindThrottled, 429, 0), v1.ReasonThrottled, false, minThrottleWait, "429", true},
		{"unavailable", graphErr(graph.KindUnavailable, 503, 0), v1.ReasonGraphUnavailable, true, 0, "503", true},
		{"authentication", graphErr(graph.KindAuthentication, 401, 0), v1.ReasonAuthenticationFailed, true, 0, "check the operator's credentials", true},
		{"concurrency conflict", graphErr(graph.KindConflict, 409, 0), v1.ReasonProgressing, true, 0, "409", false},
		{"replicating", errReplicating("the application"), v1.ReasonReplicating, false, replicationFirstWait, "replicate the application", false},
		{"secret taken", &secretConflictError{name: "crm"}, v1.ReasonSecretConflict, false, secretConflictRetry, "spec.secret.name", true},
		{"status names another application", &statusMismatchError{field: "objectId", recorded: "victim", actual: "own"}, v1.ReasonStatusMismatch, false, mismatchRetry, "victim", true},
		{"tenant changed", &tenantMismatchError{recorded: "a", current: "b"}, v1.ReasonTenantMismatch, false, resync, "tenant a", true},
		{"kubernetes failure", errors.New("creating Secret crm: boom"), v1.ReasonKubernetesError, true, 0, "boom", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordedEvents{}
			r := &AppRegistrationReconciler{ResyncPeriod: 10 * time.Minute, Recorder: rec}
			obj := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Generation: 7, UID: "uid-1"}}
			result, err := r.settle(context.Background(), &scope{obj: obj, now: time.Now()}, r.classify(c.err))
			if (err != nil) != c.wantErr {
				t.Errorf("returned error %v, want error = %v", err, c.wantErr)
			}
			switch {
			case c.wantRequeue == resync:
				if result.RequeueAfter < 9*time.Minute || result.RequeueAfter > 11*time.Minute {
					t.Errorf("RequeueAfter = %v, want the resync period ±10%%", result.RequeueAfter)
				}
			case result.RequeueAfter < c.wantRequeue || result.RequeueAfter > c.wantRequeue+c.wantRequeue/10:
				t.Errorf("RequeueAfter = %v, want %v (+10%% at most)", result.RequeueAfter, c.wantRequeue)
			}
			cond := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionReady)
			if cond == nil {
				t.Fatal("no Ready condition")
			}
			if cond.Status != metav1.ConditionFalse || cond.Reason != c.wantReason || cond.ObservedGeneration != 7 {
				t.Errorf("Ready = %s/%s (generation %d), want False/%s (7)", cond.Status, cond.Reason, cond.ObservedGeneration, c.wantReason)
			}
			if !strings.Contains(cond.Message, c.wantInMsg) {
				t.Errorf("message %q does not contain %q", cond.Message, c.wantInMsg)
			}
			if got := len(rec.notes) > 0; got != c.wantEvent {
				t.Errorf("Warning event recorded = %v, want %v (%q)", got, c.wantEvent, rec.notes)
			}
		})
	}

	t.Run("a stale write is retried quietly", func(t *testing.T) {
		r := &AppRegistrationReconciler{}
		obj := &v1.AppRegistration{}
		conflict := apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "crm", errors.New("stale"))
		result, err := r.settle(context.Background(), &scope{obj: obj}, r.classify(conflict))
		if err != nil || result.RequeueAfter == 0 || len(obj.Status.Conditions) != 0 {
			t.Errorf("got %v, %v, conditions %v; want a quiet requeue", result, err, obj.Status.Conditions)
		}
	})

	t.Run("graph's own words stay out of status for authentication failures", func(t *testing.T) {
		r := &AppRegistrationReconciler{}
		obj := &v1.AppRegistration{}
		err := &graph.Error{Op: "read the application", Kind: graph.KindAuthentication, Code: "invalid_client AADSTS7000215",
			Message: "ClientSecretCredential: AADSTS7000215: Invalid client secret provided. Trace ID: 0000 Correlation ID: 1111 client 2222"}
		_, _ = r.settle(context.Background(), &scope{obj: obj}, r.classify(err))
		msg := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionReady).Message
		if strings.Contains(msg, "Trace ID") || strings.Contains(msg, "2222") || !strings.Contains(msg, "AADSTS7000215") {
			t.Errorf("status message %q: want the code, not the token endpoint's answer", msg)
		}
	})
}

// TestPhasesRollUpIntoReady: each phase reports its own condition; a failing phase stops the ones
// after it, which wait; Ready carries the failing phase's reason, or Synced when all are done; and
// the earliest requeue any phase asked for wins.
func TestPhasesRollUpIntoReady(t *testing.T) {
	done := func(after time.Duration) func(context.Context, *scope) (ctrl.Result, error) {
		return func(context.Context, *scope) (ctrl.Result, error) { return ctrl.Result{RequeueAfter: after}, nil }
	}
	fail := func(err error) func(context.Context, *scope) (ctrl.Result, error) {
		return func(context.Context, *scope) (ctrl.Result, error) { return ctrl.Result{}, err }
	}
	ok := func(*scope) string { return "fine" }
	ph := func(condition string, run func(context.Context, *scope) (ctrl.Result, error)) phase {
		return phase{condition: condition, run: run, ready: ok}
	}
	waiting := ph("B", done(0))
	waiting.pending = func(*scope) (string, string) { return v1.ReasonConsentPending, "an administrator must act" }
	cases := []struct {
		name        string
		phases      []phase
		wantReady   metav1.ConditionStatus
		wantReason  string
		wantByType  map[string]metav1.ConditionStatus
		wantRequeue time.Duration
	}{
		{
			name:       "all done",
			phases:     []phase{ph("A", done(0)), ph("B", done(time.Hour)), ph("C", done(time.Minute))},
			wantReady:  metav1.ConditionTrue,
			wantReason: v1.ReasonSynced,
			wantByType: map[string]metav1.ConditionStatus{"A": metav1.ConditionTrue, "B": metav1.ConditionTrue, "C": metav1.ConditionTrue},
			// C's minute is sooner than B's hour and the resync period.
			wantRequeue: time.Minute,
		},
		{
			name:       "the second fails",
			phases:     []phase{ph("A", done(0)), ph("B", fail(&secretConflictError{name: "x"})), ph("C", done(0))},
			wantReady:  metav1.ConditionFalse,
			wantReason: v1.ReasonSecretConflict,
			wantByType: map[string]metav1.ConditionStatus{"A": metav1.ConditionTrue, "B": metav1.ConditionFalse, "C": metav1.ConditionUnknown},
			// The failure's schedule, not A's.
			wantRequeue: secretConflictRetry,
		},
		{
			name:   "the second is pending on a person",
			phases: []phase{ph("A", done(0)), waiting, ph("C", done(time.Minute))},
			// Ready stays True and says what is pending; the later phase still ran.
			wantReady:   metav1.ConditionTrue,
			wantReason:  v1.ReasonConsentPending,
			wantByType:  map[string]metav1.ConditionStatus{"A": metav1.ConditionTrue, "B": metav1.ConditionFalse, "C": metav1.ConditionTrue},
			wantRequeue: time.Minute,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &AppRegistrationReconciler{ResyncPeriod: 10 * time.Hour}
			s := &scope{obj: &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Generation: 2}}, now: time.Now()}
			result, err := r.runPhaseList(context.Background(), s, c.phases)
			if err != nil {
				t.Fatal(err)
			}
			if result.RequeueAfter != c.wantRequeue {
				t.Errorf("RequeueAfter = %v, want %v", result.RequeueAfter, c.wantRequeue)
			}
			ready := meta.FindStatusCondition(s.obj.Status.Conditions, v1.ConditionReady)
			if ready == nil || ready.Status != c.wantReady || ready.Reason != c.wantReason {
				t.Fatalf("Ready = %+v, want %s/%s", ready, c.wantReady, c.wantReason)
			}
			for typ, want := range c.wantByType {
				got := meta.FindStatusCondition(s.obj.Status.Conditions, typ)
				if got == nil || got.Status != want || got.ObservedGeneration != 2 {
					t.Errorf("condition %s = %+v, want %s for generation 2", typ, got, want)
				}
			}
		})
	}
}

func TestReplicationWaitsGrowAndAreCapped(t *testing.T) {
	var b backoffs
	var got []time.Duration
	for range 8 {
		got = append(got, b.next("a"))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
	if b.next("b") != replicationFirstWait {
		t.Error("another object inherited the first one's waits")
	}
	b.forget("a")
	if b.next("a") != replicationFirstWait {
		t.Error("a forgotten object did not start over")
	}
}

// recordedEvents is an events.EventRecorder that keeps the notes.
type recordedEvents struct{ notes []string }

func (r *recordedEvents) Eventf(_, _ runtime.Object, _, _, _, note string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(note, args...))
}
