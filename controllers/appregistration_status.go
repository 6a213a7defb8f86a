package controllers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

const (
	// minThrottleWait is the least a throttled reconcile waits when Graph gave no Retry-After.
	minThrottleWait = 5 * time.Second
	// secretConflictRetry is how often a Secret held by someone else is checked again.
	secretConflictRetry = time.Minute
	// mismatchRetry is how soon a reconcile that restored a mismatched status goes on.
	mismatchRetry = time.Second
	// replicationFirstWait and replicationMaxWait bound the growing pauses while Entra replicates.
	replicationFirstWait = time.Second
	replicationMaxWait   = 30 * time.Second
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

// statusMismatchError says status named an application other than the one Entra holds under the
// object's unique name.
type statusMismatchError struct{ field, recorded, actual string }

func (e *statusMismatchError) Error() string {
	return fmt.Sprintf("status.%s named %s, which is not the application this object manages (%s); "+
		"the operator left that application untouched and restored the status from Entra ID", e.field, e.recorded, e.actual)
}

// tenantMismatchError says the object's application lives in a tenant the operator no longer works in.
type tenantMismatchError struct {
	recorded, current string
	deleting          bool
}

func (e *tenantMismatchError) Error() string {
	msg := fmt.Sprintf("the application was created in tenant %s, but the operator now works in tenant %s; "+
		"it will not create a second application. Point the operator back at tenant %s, or recreate this object", e.recorded, e.current, e.recorded)
	if e.deleting {
		msg += ", or set spec.deletionPolicy to Orphan to let it go without deleting the application"
	}
	return msg
}

// credentialLimitError says the application holds as many credentials of a kind as Entra allows and
// the ones in the way are not the operator's to remove.
type credentialLimitError struct {
	kind  string
	limit int
}

func (e *credentialLimitError) Error() string {
	return fmt.Sprintf("the application holds %d %ss, the most Entra ID allows for an application that admits personal Microsoft accounts, "+
		"and the operator may remove only the ones it made; remove a %s made elsewhere to let it rotate", e.limit, e.kind, e.kind)
}

// certificateUnavailableError says the kubernetes.io/tls Secret the spec names holds no usable
// certificate.
type certificateUnavailableError struct{ name, why string }

func (e *certificateUnavailableError) Error() string {
	return fmt.Sprintf("the certificate Secret %s named by spec.credentials.certificate.secretRef cannot be used: %s", e.name, e.why)
}

// federatedConflictError says a declared federated credential's issuer and subject are already
// those of a credential the operator did not make.
type federatedConflictError struct{ name, other string }

func (e *federatedConflictError) Error() string {
	return fmt.Sprintf("federated credential %s has the issuer and subject of the application's federated credential %s, "+
		"which the operator did not make; Entra ID allows one credential per issuer and subject: remove %s or change the spec", e.name, e.other, e.other)
}

// outcome is what a failed phase means for the object: the Ready reason and message users see, and
// what the controller does next.
type outcome struct {
	err     error
	reason  string
	message string
	// requeueAfter schedules the next attempt when neither backoff nor replicating is set.
	requeueAfter time.Duration
	// backoff returns the error, so controller-runtime retries with exponential backoff.
	backoff bool
	// replicating retries with growing pauses, without an error.
	replicating bool
	// warn records a Warning event.
	warn bool
	// quiet retries shortly and changes nothing users see: a stale read of the operator's own objects.
	quiet bool
}

// classify turns a phase's error into its outcome.
func (r *AppRegistrationReconciler) classify(err error) outcome {
	o := outcome{err: err, message: err.Error(), warn: true}
	var ge *graph.Error
	if errors.As(err, &ge) {
		o.message = ge.Summary()
	}
	if r.classifyOperatorError(err, &o) {
		return o
	}
	switch kind := graph.KindOf(err); {
	case kind == graph.KindForbidden:
		o.reason, o.backoff = entrav1alpha1.ReasonPermissionDenied, true
	case kind == graph.KindBadRequest:
		// Graph refused a value of the spec: retrying the same spec soon cannot help, but the resync
		// looks again in case the refusal came from a tenant policy that has since changed.
		o.reason, o.requeueAfter = entrav1alpha1.ReasonInvalidSpec, r.resyncAfter()
	case kind == graph.KindThrottled:
		wait := graph.RetryAfterOf(err)
		if wait <= 0 {
			wait = minThrottleWait
		}
		// A little jitter, so objects throttled together do not come back together.
		wait += time.Duration(rand.Int64N(int64(wait)/10 + 1))
		o.reason, o.requeueAfter = entrav1alpha1.ReasonThrottled, wait
		o.message += fmt.Sprintf("; retrying in %s", wait.Round(time.Second))
	case kind == graph.KindConflict || kind == graph.KindReplicationLag:
		o.reason, o.backoff, o.warn = entrav1alpha1.ReasonProgressing, true, false
	case kind == graph.KindAuthentication:
		o.reason, o.backoff = entrav1alpha1.ReasonAuthenticationFailed, true
	case kind == graph.KindUnavailable || kind == graph.KindNotFound || kind == graph.KindUnknown && ge != nil:
		o.reason, o.backoff = entrav1alpha1.ReasonGraphUnavailable, true
	case apierrors.IsConflict(err):
		o.quiet = true
	default:
		o.reason, o.backoff = entrav1alpha1.ReasonKubernetesError, true
	}
	return o
}

// classifyOperatorError fills o for the operator's own error types, which say what only time (a
// replication) or a person (a spec, a policy, someone else's object) can change; false for others.
func (r *AppRegistrationReconciler) classifyOperatorError(err error, o *outcome) bool {
	var (
		replicating *replicatingError
		conflict    *secretConflictError
		mismatch    *statusMismatchError
		tenant      *tenantMismatchError
		unknown     *unknownPermissionError
		notAllowed  *consentNotAllowedError
		conn        *connectionError
		violation   *policyViolationError
		adoption    *adoptionRefusedError
	)
	switch {
	case errors.As(err, &conn):
		// A person changes the connection, the namespace's labels or the spec; the connection's
		// and the namespace's watches bring the object back when they do.
		o.reason, o.requeueAfter = conn.cause.Reason, r.resyncAfter()
	case errors.As(err, &violation):
		o.reason, o.requeueAfter = entrav1alpha1.ReasonPolicyViolation, r.resyncAfter()
	case errors.As(err, &adoption):
		o.reason, o.requeueAfter = entrav1alpha1.ReasonAdoptionRefused, adoptionRetry
	case errors.As(err, &replicating):
		o.reason, o.replicating, o.warn = entrav1alpha1.ReasonReplicating, true, false
	case errors.As(err, &conflict):
		// Only a person can resolve this (remove the Secret or change spec.secret.name). A spec change
		// triggers a reconcile by itself; the Secret is not ours, so its deletion does not, hence the
		// unhurried look again.
		o.reason, o.requeueAfter = entrav1alpha1.ReasonSecretConflict, secretConflictRetry
	case errors.As(err, &mismatch):
		o.reason, o.requeueAfter = entrav1alpha1.ReasonStatusMismatch, mismatchRetry
	case errors.As(err, &tenant):
		o.reason, o.requeueAfter = entrav1alpha1.ReasonTenantMismatch, r.resyncAfter()
	case errors.As(err, &unknown):
		// Only a spec change fixes a typo, and it triggers a reconcile; the resync looks again in
		// case the resource has since published the permission.
		o.reason, o.requeueAfter = entrav1alpha1.ReasonUnknownPermission, r.resyncAfter()
	case errors.As(err, &notAllowed):
		// The allow-list is the manager's configuration: it changes with a restart, which reconciles
		// everything anyway.
		o.reason, o.requeueAfter = entrav1alpha1.ReasonConsentNotAllowed, r.resyncAfter()
	case secretReason(err) != "":
		// A template or the format is the spec's to change, and a spec change reconciles; the
		// resync looks again meanwhile.
		o.reason, o.requeueAfter = secretReason(err), r.resyncAfter()
	case credentialReason(err) != "":
		// Only a change of the spec, of a policy or of what someone else made helps: no retry
		// loop, a look at the resync. A referenced certificate's Secret brings the object back by
		// its own watch as soon as it is created or renewed.
		o.reason, o.requeueAfter = credentialReason(err), r.resyncAfter()
	default:
		return false
	}
	return true
}

// secretReason is the Ready reason of a Secret that cannot be rendered as the spec asks; "" for
// other errors.
func secretReason(err error) string {
	var rerr *secretdata.Error
	switch {
	case !errors.As(err, &rerr):
		return ""
	case rerr.Template():
		return entrav1alpha1.ReasonInvalidSecretTemplate
	}
	return entrav1alpha1.ReasonSecretFormatUnavailable
}

// credentialReason is the Ready reason of a credential the spec, a policy or someone else's
// credential stands in the way of; "" for other errors.
func credentialReason(err error) string {
	var (
		limit       *credentialLimitError
		unavailable *certificateUnavailableError
		federated   *federatedConflictError
	)
	switch {
	case errors.As(err, &limit):
		return entrav1alpha1.ReasonCredentialLimit
	case errors.As(err, &unavailable):
		return entrav1alpha1.ReasonCertificateUnavailable
	case errors.As(err, &federated):
		return entrav1alpha1.ReasonInvalidSpec
	case graph.KindOf(err) == graph.KindPolicy:
		return entrav1alpha1.ReasonAppManagementPolicy
	}
	return ""
}

// settle records a failed reconcile in Ready and events and says what the controller does next: wait
// for a schedule (RequeueAfter), back off (an error), or wait for a spec change.
func (r *AppRegistrationReconciler) settle(ctx context.Context, s *scope, o outcome) (ctrl.Result, error) {
	if o.quiet {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	obj := s.obj
	message := o.message
	if !obj.DeletionTimestamp.IsZero() {
		message = "Deleting the application from Entra ID failed: " + message
	}
	r.setCondition(s, entrav1alpha1.ConditionReady, metav1.ConditionFalse, o.reason, message)
	if o.warn {
		r.event(obj, corev1.EventTypeWarning, o.reason, "Reconcile", "%s", message)
	}
	switch {
	case o.replicating:
		wait := r.replicationWaits.next(obj.UID)
		log.FromContext(ctx).V(1).Info("Waiting for replication", "message", message, "retryIn", wait)
		return ctrl.Result{RequeueAfter: wait}, nil
	case o.backoff:
		// controller-runtime logs the full error, which only the operator's log carries.
		return ctrl.Result{}, o.err
	}
	log.FromContext(ctx).Info("Not ready", "reason", o.reason, "message", message, "error", o.err.Error())
	return ctrl.Result{RequeueAfter: o.requeueAfter}, nil
}

// settleReady records a reconcile in which every phase is done.
func (r *AppRegistrationReconciler) settleReady(ctx context.Context, s *scope) ctrl.Result {
	r.replicationWaits.forget(s.obj.UID)
	message := "Application " + s.app.AppID + " and Secret " + s.obj.Status.SecretName + " match the spec"
	if len(s.changes) > 0 {
		log.FromContext(ctx).Info("Synced", "changes", s.changes)
	}
	reason := entrav1alpha1.ReasonSynced
	if len(s.pending) > 0 {
		// Ready stays True: everything the operator is responsible for matches the spec, and a
		// person's step (admin consent) should not hold GitOps health checks hostage. The reason and
		// message make the pending step visible where kstatus and Argo CD look.
		reason = s.pending[0].reason
		message += "; pending: " + s.pending[0].message
	}
	r.setCondition(s, entrav1alpha1.ConditionReady, metav1.ConditionTrue, reason, message)
	return ctrl.Result{RequeueAfter: r.resyncAfter()}
}

// setCondition records one condition for the object's current generation. Ready also moves
// status.observedGeneration.
func (r *AppRegistrationReconciler) setCondition(s *scope, conditionType string, status metav1.ConditionStatus, reason, message string) {
	obj := s.obj
	meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.Generation,
		LastTransitionTime: metav1.NewTime(s.now),
	})
	if conditionType == entrav1alpha1.ConditionReady {
		obj.Status.ObservedGeneration = obj.Generation
	}
}

// patchStatus writes the status if it changed since the last write, so an object in sync costs no
// Kubernetes write either.
func (r *AppRegistrationReconciler) patchStatus(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(*s.statusBefore, s.obj.Status) {
		return nil
	}
	before := s.obj.DeepCopy()
	before.Status = *s.statusBefore
	// The patch is sent from a copy: decoding the server's answer into s.obj would replace the
	// status structs a phase in flight still holds pointers to (the credentials phase records an
	// intent mid-reconcile and goes on writing the same status).
	if err := r.Status().Patch(ctx, s.obj.DeepCopy(), client.MergeFrom(before)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("writing the status: %w", err))
	}
	s.statusBefore = s.obj.Status.DeepCopy()
	return nil
}

// backoffs hands out growing pauses per object, doubling from replicationFirstWait up to
// replicationMaxWait, and forgets an object once it is done. Kept in memory: after a restart the
// pauses simply start small again.
type backoffs struct {
	mu       sync.Mutex
	attempts map[types.UID]int
}

func (b *backoffs) next(uid types.UID) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.attempts == nil {
		b.attempts = map[types.UID]int{}
	}
	n := b.attempts[uid]
	b.attempts[uid] = n + 1
	wait := replicationFirstWait << min(n, 8)
	return min(wait, replicationMaxWait)
}

func (b *backoffs) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.attempts, uid)
}
