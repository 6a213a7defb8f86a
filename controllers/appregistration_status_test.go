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
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// TestSettle pins down what each kind of outcome does to the Ready condition and to the controller's
// next step: wait for a schedule, back off on an error, or wait for a spec change.
func TestSettle(t *testing.T) {
	graphErr := func(kind graph.Kind, status int, retryAfter time.Duration) error {
		return fmt.Errorf("phase: %w", &graph.Error{Op: "update the application", Status: status, Code: "Code", Message: "msg", Kind: kind, RetryAfter: retryAfter})
	}
	cases := []struct {
		name        string
		err         error
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantErr     bool
		wantRequeue time.Duration // exact, or -1 for "about the resync period"
		wantInMsg   string
	}{
		{"in sync", nil, metav1.ConditionTrue, v1.ReasonSynced, false, -1, "match the spec"},
		{"forbidden", graphErr(graph.KindForbidden, 403, 0), metav1.ConditionFalse, v1.ReasonPermissionDenied, true, 0, "Application.ReadWrite.OwnedBy"},
		{"bad request", graphErr(graph.KindBadRequest, 400, 0), metav1.ConditionFalse, v1.ReasonInvalidSpec, false, 0, "400 Bad Request (Code): msg"},
		{"throttled with Retry-After", graphErr(graph.KindThrottled, 429, 42*time.Second), metav1.ConditionFalse, v1.ReasonThrottled, false, 42 * time.Second, "retrying in 42s"},
		{"throttled without Retry-After", graphErr(graph.KindThrottled, 429, 0), metav1.ConditionFalse, v1.ReasonThrottled, false, minThrottleWait, "429"},
		{"unavailable", graphErr(graph.KindUnavailable, 503, 0), metav1.ConditionFalse, v1.ReasonGraphUnavailable, true, 0, "503"},
		{"authentication", graphErr(graph.KindAuthentication, 401, 0), metav1.ConditionFalse, v1.ReasonAuthenticationFailed, true, 0, "token"},
		{"concurrency conflict", graphErr(graph.KindConflict, 409, 0), metav1.ConditionFalse, v1.ReasonProgressing, true, 0, "409"},
		{"replicating", errReplicating("the application"), metav1.ConditionFalse, v1.ReasonProgressing, false, replicationRetry, "replicate the application"},
		{"secret taken", &secretConflictError{name: "crm"}, metav1.ConditionFalse, v1.ReasonSecretConflict, false, secretConflictRetry, "spec.secret.name"},
		{"kubernetes failure", errors.New("creating Secret crm: boom"), metav1.ConditionFalse, v1.ReasonKubernetesError, true, 0, "boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &AppRegistrationReconciler{ResyncPeriod: 10 * time.Minute}
			obj := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
			result, err := r.settle(context.Background(), &scope{obj: obj}, c.err)
			if (err != nil) != c.wantErr {
				t.Errorf("returned error %v, want error = %v", err, c.wantErr)
			}
			switch {
			case c.wantRequeue == -1:
				if result.RequeueAfter < 9*time.Minute || result.RequeueAfter > 11*time.Minute {
					t.Errorf("RequeueAfter = %v, want the resync period ±10%%", result.RequeueAfter)
				}
			case result.RequeueAfter != c.wantRequeue:
				t.Errorf("RequeueAfter = %v, want %v", result.RequeueAfter, c.wantRequeue)
			}
			cond := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionReady)
			if cond == nil {
				t.Fatal("no Ready condition")
			}
			if cond.Status != c.wantStatus || cond.Reason != c.wantReason || cond.ObservedGeneration != 7 {
				t.Errorf("Ready = %s/%s (generation %d), want %s/%s (7)", cond.Status, cond.Reason, cond.ObservedGeneration, c.wantStatus, c.wantReason)
			}
			if !strings.Contains(cond.Message, c.wantInMsg) {
				t.Errorf("message %q does not contain %q", cond.Message, c.wantInMsg)
			}
		})
	}

	t.Run("a stale write is retried quietly", func(t *testing.T) {
		r := &AppRegistrationReconciler{}
		obj := &v1.AppRegistration{}
		conflict := apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "crm", errors.New("stale"))
		result, err := r.settle(context.Background(), &scope{obj: obj}, conflict)
		if err != nil || result.RequeueAfter == 0 || len(obj.Status.Conditions) != 0 {
			t.Errorf("got %v, %v, conditions %v; want a quiet requeue", result, err, obj.Status.Conditions)
		}
	})
}
