package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

const (
	// minThrottleWait is the least a throttled reconcile waits when Graph gave no Retry-After.
	minThrottleWait = 5 * time.Second
	// secretConflictRetry is how often a Secret held by someone else is checked again.
	secretConflictRetry = time.Minute
)

// replicatingError says Entra has not replicated an object yet: not a failure, just not yet.
type replicatingError struct{ what string }

func (e *replicatingError) Error() string {
	return "waiting for Entra ID to replicate " + e.what
}

func errReplicating(what string) error { return &replicatingError{what: what} }

// secretConflictError says the target Secret belongs to someone else; the operator will not take it.
type secretConflictError struct{ name string }

func (e *secretConflictError) Error() string {
	return fmt.Sprintf("Secret %s exists and is not owned by this AppRegistration; delete it or choose another spec.secret.name", e.name)
}

// settle turns the outcome of the phases into the Ready condition and the controller's next step:
// a schedule (RequeueAfter) where waiting is the answer, an error where backoff is, nothing where only
// a spec change can help.
func (r *AppRegistrationReconciler) settle(ctx context.Context, s *scope, err error) (ctrl.Result, error) {
	obj := s.obj
	deleting := !obj.DeletionTimestamp.IsZero()
	if err == nil {
		message := "Application " + obj.Status.AppID + " and Secret " + obj.Status.SecretName + " match the spec"
		if len(s.changes) > 0 {
			log.FromContext(ctx).Info("Synced", "changes", s.changes)
		}
		r.setReady(obj, metav1.ConditionTrue, entrav1alpha1.ReasonSynced, message)
		return ctrl.Result{RequeueAfter: r.resyncAfter()}, nil
	}

	var (
		replicating *replicatingError
		conflict    *secretConflictError
		reason      string
		result      ctrl.Result
		retErr      = err // by default, return the error: controller-runtime backs off exponentially
	)
	message := err.Error()
	switch kind := graph.KindOf(err); {
	case errors.As(err, &replicating):
		reason, result, retErr = entrav1alpha1.ReasonProgressing, ctrl.Result{RequeueAfter: replicationRetry}, nil
	case errors.As(err, &conflict):
		// Only a person can resolve this (remove the Secret or change spec.secret.name). A spec change
		// triggers a reconcile by itself; the Secret is not ours, so its deletion does not, hence the
		// unhurried look again.
		reason, result, retErr = entrav1alpha1.ReasonSecretConflict, ctrl.Result{RequeueAfter: secretConflictRetry}, nil
	case kind == graph.KindForbidden:
		reason = entrav1alpha1.ReasonPermissionDenied
		message += ". Grant the operator's application the Microsoft Graph application permission " +
			"Application.ReadWrite.OwnedBy (or Application.ReadWrite.All) and give admin consent"
	case kind == graph.KindBadRequest:
		// Graph refused a value of the spec: retrying the same spec cannot help.
		reason, retErr = entrav1alpha1.ReasonInvalidSpec, nil
	case kind == graph.KindThrottled:
		wait := max(graph.RetryAfterOf(err), minThrottleWait)
		reason, result, retErr = entrav1alpha1.ReasonThrottled, ctrl.Result{RequeueAfter: wait}, nil
		message += fmt.Sprintf("; retrying in %s", wait)
	case kind == graph.KindConflict || kind == graph.KindReplicationLag:
		reason = entrav1alpha1.ReasonProgressing
	case kind == graph.KindAuthentication:
		reason = entrav1alpha1.ReasonAuthenticationFailed
	case kind == graph.KindUnavailable || kind == graph.KindNotFound || kind == graph.KindUnknown && isGraphError(err):
		reason = entrav1alpha1.ReasonGraphUnavailable
	case apierrors.IsConflict(err):
		// A stale read of our own object or Secret: retry shortly, it is not news.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	default:
		reason = entrav1alpha1.ReasonKubernetesError
	}
	if deleting {
		message = "Deleting the application from Entra ID failed: " + message
	}
	r.setReady(obj, metav1.ConditionFalse, reason, message)
	if reason != entrav1alpha1.ReasonProgressing {
		r.event(obj, corev1.EventTypeWarning, reason, "Reconcile", "%s", message)
	}
	if retErr == nil {
		log.FromContext(ctx).Info("Not ready", "reason", reason, "message", message)
	}
	return result, retErr
}

func isGraphError(err error) bool {
	var ge *graph.Error
	return errors.As(err, &ge)
}

func (r *AppRegistrationReconciler) setReady(obj *entrav1alpha1.AppRegistration, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{
		Type:               entrav1alpha1.ConditionReady,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.Generation,
	})
	obj.Status.ObservedGeneration = obj.Generation
}

// patchStatus writes the status if it changed since the last write, so an object in sync costs no
// Kubernetes write either.
func (r *AppRegistrationReconciler) patchStatus(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(*s.statusBefore, s.obj.Status) {
		return nil
	}
	before := s.obj.DeepCopy()
	before.Status = *s.statusBefore
	if err := r.Status().Patch(ctx, s.obj, client.MergeFrom(before)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("writing the status: %w", err))
	}
	s.statusBefore = s.obj.Status.DeepCopy()
	return nil
}
