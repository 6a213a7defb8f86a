// Package controllers holds the reconcilers of the entra-sso-operator.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/mirror"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
)

// Finalizer holds an AppRegistration until its Entra application is deleted or orphaned.
const Finalizer = "entra.sso-operator.io/finalizer"

// Defaults for the reconciler's bounds, used where the fields are left zero.
const (
	// DefaultReconcileTimeout bounds one reconcile, Graph and Kubernetes calls together.
	DefaultReconcileTimeout = 2 * time.Minute
	// DefaultReplicationWindow is how long after an object's creation a 404 from Graph may still be
	// replication lag rather than absence.
	DefaultReplicationWindow = 2 * time.Minute
	// DefaultBackstopPeriod is how often each object is verified against Graph itself while the
	// mirror answers its reads: what delta query does not track (navigation properties, perhaps
	// credentials) is caught at least this often.
	DefaultBackstopPeriod = 48 * time.Hour
)

// AppRegistrationReconciler keeps an Entra application, its service principal and the output Secret
// as an AppRegistration declares them.
type AppRegistrationReconciler struct {
	client.Client
	// APIReader reads around the cache where a stale object would cost a Graph call (finalization);
	// nil means Client.
	APIReader client.Reader
	// Graph talks to the operator's own tenant (its environment identity).
	Graph graph.Client
	// Tenants resolves each object's connection (EntraConnection, or the operator's own tenant)
	// and checks its namespace and policy; nil means every object uses Graph and Cloud.
	Tenants *tenants.Registry
	// Cloud names the endpoints written to the Secret.
	Cloud cloud.Cloud
	// Recorder emits Kubernetes events.
	Recorder events.EventRecorder
	// Clock is the reconciler's time source; nil means the real clock. Tests inject a fake one.
	Clock clock.PassiveClock
	// NamespaceScoped says the manager may read only some namespaces (--watch-namespaces) and holds
	// no cluster-wide permission: EntraConnections and namespaces are not watched.
	NamespaceScoped bool
	// ResyncPeriod is how often an object in sync is compared with Entra again, to put back what was
	// changed in the portal. Each object is spread by up to 10% jitter so resyncs do not bunch up.
	ResyncPeriod time.Duration
	// ReconcileTimeout bounds one reconcile; 0 means DefaultReconcileTimeout.
	ReconcileTimeout time.Duration
	// ReplicationWindow is how long after an object's creation a delete answered 404 is confirmed
	// again before the finalizer goes; 0 means DefaultReplicationWindow.
	ReplicationWindow time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles.
	MaxConcurrentReconciles int
	// ConsentMode says what the operator does about admin consent; "" means ConsentOff.
	ConsentMode ConsentMode
	// ConsentPolicy is what an administrator allows the operator to grant in ConsentGrant mode.
	ConsentPolicy permissions.Policy
	// Resources caches the permissions resources publish; nil means one with the defaults.
	Resources *permissions.Cache

	// Mirror, when set, is the tenant's mirror that Graph (a mirror.Client around it) answers reads
	// from while it is fresh. The controller then polls Delta every DeltaInterval to keep it, and
	// reconciles the objects whose application changed. Nil reads Graph on every reconcile.
	Mirror        *mirror.Store
	Delta         graph.Delta
	DeltaInterval time.Duration
	// BackstopPeriod is how often each object is verified against Graph itself while the mirror
	// answers its reads; 0 means DefaultBackstopPeriod.
	BackstopPeriod time.Duration

	// replicationWaits paces objects waiting for Entra to replicate what the operator created.
	replicationWaits backoffs
	resourcesOnce    sync.Once
	// waiting is the new work queued per namespace, for fair turns (scheduling.go).
	waiting waiting
	// secretWrites suppresses the reconcile the operator's own Secret writes would trigger.
	secretWrites ownWrites
	// delta is the source of Entra's changes, when Mirror is set.
	delta *deltaSource
}

// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=entraconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets,verbs=get;patch

// Reconcile reads like the steps a platform engineer would take in the portal: make sure the
// application exists and matches the spec, make sure its service principal exists, then publish the
// client configuration in the Secret. Each step is a phase with its own condition; status is written
// once at the end; a crash before it loses nothing, since the application is found by its unique name.
func (r *AppRegistrationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &entrav1alpha1.AppRegistration{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			// Gone: its credentials' series go with it, however it went.
			metrics.ForgetCredentials(req.Namespace, req.Name)
			r.waiting.done(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.delta != nil && settled(obj) && r.delta.park(req.NamespacedName) {
		// In sync when last seen, and the mirror is not primed yet: the first delta poll covers it.
		return ctrl.Result{}, nil
	}
	// The status is written with the caller's context, so it lands even when the work timed out.
	work, cancel := context.WithTimeout(ctx, r.reconcileTimeout())
	defer cancel()

	s := r.newScope(obj)
	work = r.chooseReads(work, s)
	if !obj.DeletionTimestamp.IsZero() {
		result, err := r.finalize(work, s)
		return result, errors.Join(err, r.patchStatus(ctx, s))
	}
	if before := obj.DeepCopy(); controllerutil.AddFinalizer(obj, Finalizer) {
		if err := r.patchFinalizers(ctx, obj, before); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil
			}
			return ctrl.Result{}, fmt.Errorf("adding the finalizer: %w", err)
		}
	}

	result, err := r.runPhases(work, s)
	r.announceCreated(s)
	result = r.afterPhases(req, s, result)
	if patchErr := r.patchStatus(ctx, s); patchErr != nil {
		return ctrl.Result{}, errors.Join(err, patchErr)
	}
	return result, err
}

// scope carries one reconcile's object and what its phases learned from Entra.
type scope struct {
	obj          *entrav1alpha1.AppRegistration
	statusBefore *entrav1alpha1.AppRegistrationStatus
	// now is the reconcile's time, from the reconciler's clock.
	now time.Time
	// uniqueName is the application's identity, derived from the object's UID alone.
	uniqueName string
	// graph is the Graph client of the tenant the object's application lives in, and cloud names
	// that tenant's endpoints.
	graph graph.Client
	cloud cloud.Cloud
	// conn is the object's connection, when the reconciler resolves connections.
	conn *tenants.Connection
	// app is the application as read from (or created in) Graph in this reconcile. Every later
	// phase takes its IDs from here, never from status.
	app graph.Application
	// createdApp is true when this reconcile created the application.
	createdApp bool
	// announceApp is true while the application this reconcile created waits for its Created
	// event: the service principal phase names both in one event, and a reconcile that ends before
	// it emits the application's alone (announceCreated).
	announceApp bool
	// servicePrincipal is the application's service principal, as read from Graph.
	servicePrincipal graph.ServicePrincipal
	// resolved are spec.permissions with the IDs their resources publish.
	resolved []permissions.Resolved
	// consentMissing are the declared permissions consent was found lacking, when it was read.
	consentMissing []permissions.Ref
	// pending notes phases that did all the operator may do and left the rest to someone else.
	pending []pendingNote
	// changes lists what this reconcile changed, for the log.
	changes []string

	// secret is the output Secret as last read or written in this reconcile, nil while it does not
	// exist; secretLoaded says whether it was read yet.
	secret       *corev1.Secret
	secretLoaded bool
	// clientSecret and certificate are the credentials the Secret is to hold: loaded from it, then
	// replaced by the credentials phase when it adds new ones.
	clientSecret *secretdata.ClientSecret
	certificate  *secretdata.Certificate
	// credentialNotes describe the credentials for CredentialsReady's message.
	credentialNotes []string
	// templateErr is why spec.secret.templates did not render, for the Secret phase to report; the
	// format's keys were written regardless.
	templateErr error
	// secretHash is the content hash of the Secret as written or found in this reconcile.
	secretHash string
	// consumerNotes describe spec.secret.consumers for SecretReady's message.
	consumerNotes []string
	// releasing is set while finalizing with deletionPolicy Orphan: every credential the operator
	// made is removed, since its value goes with the Secret.
	releasing bool
	// verifying is set when this reconcile reads the application from Graph itself, not the mirror.
	verifying bool
}

func (r *AppRegistrationReconciler) newScope(obj *entrav1alpha1.AppRegistration) *scope {
	return &scope{
		obj:          obj,
		statusBefore: obj.Status.DeepCopy(),
		now:          r.now(),
		uniqueName:   desired.UniqueName(string(obj.UID)),
		graph:        r.Graph,
		cloud:        r.Cloud,
	}
}

// phase is one step of a reconcile, reported by its own condition.
type phase struct {
	// condition is the condition type the phase reports.
	condition string
	// run does the step. A zero result means done; RequeueAfter asks to be run again then.
	run func(ctx context.Context, s *scope) (ctrl.Result, error)
	// ready describes the phase's success for its condition's message.
	ready func(s *scope) string
	// pending, when set, is asked after a successful run whether what is left is someone else's move
	// (an administrator's consent). A reason makes the condition False with it, without holding back
	// later phases or Ready.
	pending func(s *scope) (reason, message string)
}

// pendingNote is a phase's condition left False for someone else to act on.
type pendingNote struct{ reason, message string }

// phases are the steps of a reconcile, in order: each needs what the ones before it established.
func (r *AppRegistrationReconciler) phases() []phase {
	return []phase{
		{condition: entrav1alpha1.ConditionConnectionReady, run: r.resolveConnection, ready: connectionReadyMessage},
		{condition: entrav1alpha1.ConditionPermissionsResolved, run: r.resolvePermissions, ready: permissionsResolvedMessage},
		{condition: entrav1alpha1.ConditionApplicationReady, run: r.ensureApplication, ready: func(s *scope) string {
			return "Application " + s.app.AppID + " matches the spec"
		}},
		{condition: entrav1alpha1.ConditionServicePrincipalReady, run: r.ensureServicePrincipal, ready: func(s *scope) string {
			return "Service principal " + s.servicePrincipal.ObjectID + " exists"
		}},
		{condition: entrav1alpha1.ConditionCredentialsReady, run: r.ensureCredentials, ready: credentialsReadyMessage},
		{condition: entrav1alpha1.ConditionSecretReady, run: r.publishSecret, ready: secretReadyMessage},
		// Last: consent waits for nobody, and nothing waits for consent (the Secret works without it).
		{condition: entrav1alpha1.ConditionConsentGranted, run: r.ensureConsent, ready: consentGrantedMessage, pending: r.consentPending},
	}
}

// runPhases runs the phases in order until one fails, records each phase's condition, rolls them up
// into Ready and returns the earliest requeue any phase asked for.
func (r *AppRegistrationReconciler) runPhases(ctx context.Context, s *scope) (ctrl.Result, error) {
	return r.runPhaseList(ctx, s, r.phases())
}

func (r *AppRegistrationReconciler) runPhaseList(ctx context.Context, s *scope, phases []phase) (ctrl.Result, error) {
	var result ctrl.Result
	for i, p := range phases {
		res, err := p.run(ctx, s)
		if err != nil {
			o := r.classify(err)
			if o.quiet {
				return r.settle(ctx, s, o)
			}
			r.setCondition(s, p.condition, metav1.ConditionFalse, o.reason, o.message)
			for _, later := range phases[i+1:] {
				r.setCondition(s, later.condition, metav1.ConditionUnknown, entrav1alpha1.ReasonWaiting, "Waiting for "+p.condition)
			}
			return r.settle(ctx, s, o)
		}
		result = earliest(result, res)
		if p.pending != nil {
			if reason, message := p.pending(s); reason != "" {
				r.setCondition(s, p.condition, metav1.ConditionFalse, reason, message)
				s.pending = append(s.pending, pendingNote{reason: reason, message: p.condition + ": " + message})
				continue
			}
		}
		r.setCondition(s, p.condition, metav1.ConditionTrue, entrav1alpha1.ReasonSynced, p.ready(s))
	}
	return earliest(result, r.settleReady(ctx, s)), nil
}

// earliest merges two results: the sooner non-zero requeue wins.
func earliest(a, b ctrl.Result) ctrl.Result {
	switch {
	case a.RequeueAfter == 0:
		return b
	case b.RequeueAfter == 0 || a.RequeueAfter < b.RequeueAfter:
		return a
	}
	return b
}

func (r *AppRegistrationReconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

func (r *AppRegistrationReconciler) reconcileTimeout() time.Duration {
	if r.ReconcileTimeout > 0 {
		return r.ReconcileTimeout
	}
	return DefaultReconcileTimeout
}

func (r *AppRegistrationReconciler) replicationWindow() time.Duration {
	if r.ReplicationWindow > 0 {
		return r.ReplicationWindow
	}
	return DefaultReplicationWindow
}

// patchFinalizers writes obj's finalizers, changed from before's, as a patch that fails with a
// conflict if the object changed meanwhile. Never an update of the whole object: the cached copy
// lacks what cache_transform.go drops, and an update would remove that from the API server.
func (r *AppRegistrationReconciler) patchFinalizers(ctx context.Context, obj, before *entrav1alpha1.AppRegistration) error {
	return r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}

// maxEventNote is below the 1,024 characters the API server allows an event's note.
const maxEventNote = 1000

func (r *AppRegistrationReconciler) event(obj *entrav1alpha1.AppRegistration, eventType, reason, action, note string, args ...any) {
	if r.Recorder == nil {
		return
	}
	text := fmt.Sprintf(note, args...)
	if len(text) > maxEventNote {
		// Cut at a byte, the last character may be split: ToValidUTF8 drops what is left of it.
		text = strings.ToValidUTF8(text[:maxEventNote-3], "") + "..."
	}
	r.Recorder.Eventf(obj, nil, eventType, reason, action, "%s", text)
}

// resyncAfter spreads resyncs over ±10% of the period.
func (r *AppRegistrationReconciler) resyncAfter() time.Duration {
	if r.ResyncPeriod <= 0 {
		return 0
	}
	jitter := time.Duration(rand.Int64N(int64(r.ResyncPeriod)/5+1)) - r.ResyncPeriod/10
	return r.ResyncPeriod + jitter
}

// certificateSecretIndex indexes AppRegistrations by the kubernetes.io/tls Secret their certificate
// is taken from.
const certificateSecretIndex = "spec.credentials.certificate.secretRef.name"

// SetupWithManager registers the reconciler. AppRegistrations are queued by priority
// (scheduling.go). Secrets are cached and watched only when they carry the label
// entra.sso-operator.io/appregistration (CacheOptions): the operator's own, whose edits by others
// and deletions reconcile their owner, and the kubernetes.io/tls Secrets a certificate is taken
// from, labeled so by whoever makes them, whose renewals reconcile the objects naming them. With
// a mirror, the delta poll is a source of its own.
func (r *AppRegistrationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	indexer := mgr.GetFieldIndexer()
	err := indexer.IndexField(context.Background(), &entrav1alpha1.AppRegistration{}, certificateSecretIndex,
		func(o client.Object) []string {
			if ref := referencedSecretName(o.(*entrav1alpha1.AppRegistration)); ref != "" {
				return []string{ref}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("indexing AppRegistrations by their certificate Secret: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("appregistration").
		Watches(&entrav1alpha1.AppRegistration{}, appRegistrationEvents{waiting: &r.waiting}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&corev1.Secret{},
			handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &entrav1alpha1.AppRegistration{}, handler.OnlyControllerOwner()),
			builder.WithPredicates(r.secretEvents())).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.referencingCertificateSecret),
			builder.WithPredicates(certificateSecretEvents())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles), UsePriorityQueue: ptr.To(true)})
	if r.Mirror != nil {
		uids := &uidKeys{}
		informer, err := mgr.GetCache().GetInformer(context.Background(), &entrav1alpha1.AppRegistration{})
		if err != nil {
			return fmt.Errorf("the AppRegistration informer: %w", err)
		}
		if _, err := informer.AddEventHandler(uids.handler()); err != nil {
			return fmt.Errorf("following AppRegistrations by UID: %w", err)
		}
		r.delta = &deltaSource{uids: uids, poller: &mirror.Poller{
			Delta: r.Delta, Store: r.Mirror, Interval: r.DeltaInterval, RetryAfter: min(r.DeltaInterval, deltaRetry),
		}}
		b = b.WatchesRawSource(r.delta)
	}
	if r.Tenants != nil && !r.NamespaceScoped {
		// A changed connection (its policy, its admitted namespaces) or a namespace's labels change
		// which objects may use it: look at them again, not only at the resync.
		b = b.Watches(&entrav1alpha1.EntraConnection{}, handler.EnqueueRequestsFromMapFunc(r.usingConnection)).
			Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.inNamespace),
				builder.OnlyMetadata, builder.WithPredicates(predicate.LabelChangedPredicate{}))
	}
	return b.Complete(r)
}

// usingConnection maps an EntraConnection to the AppRegistrations that use it: those naming it,
// and, for the default connection, those naming none.
func (r *AppRegistrationReconciler) usingConnection(ctx context.Context, conn client.Object) []reconcile.Request {
	return r.requestsFor(ctx, "that use a connection", []any{"connection", conn.GetName()},
		func(o *entrav1alpha1.AppRegistration) bool { return r.Tenants.ConnectionName(o) == conn.GetName() })
}

// inNamespace maps a namespace to its AppRegistrations.
func (r *AppRegistrationReconciler) inNamespace(ctx context.Context, ns client.Object) []reconcile.Request {
	return r.requestsFor(ctx, "of a namespace", []any{"namespace", ns.GetName()}, nil, client.InNamespace(ns.GetName()))
}

// referencingCertificateSecret maps a Secret to the AppRegistrations that take their certificate
// from it, so a certificate cert-manager renewed reaches Entra and the output Secret at once.
func (r *AppRegistrationReconciler) referencingCertificateSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	return r.requestsFor(ctx, "that use a certificate Secret", []any{"secret", secret.GetName()}, nil,
		client.InNamespace(secret.GetNamespace()), client.MatchingFields{certificateSecretIndex: secret.GetName()})
}

// requestsFor lists the cached AppRegistrations matching opts (and keep, when set) as requests. A
// failed list is logged, naming what was looked for, and maps to nothing.
func (r *AppRegistrationReconciler) requestsFor(ctx context.Context, what string, logKV []any,
	keep func(*entrav1alpha1.AppRegistration) bool, opts ...client.ListOption) []reconcile.Request {
	list := &entrav1alpha1.AppRegistrationList{}
	if err := r.List(ctx, list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "Listing the AppRegistrations "+what, logKV...)
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		if keep == nil || keep(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// referencedSecretName is the kubernetes.io/tls Secret obj takes its certificate from, if any.
func referencedSecretName(obj *entrav1alpha1.AppRegistration) string {
	if c := obj.Spec.Credentials; c != nil && c.Certificate != nil && c.Certificate.SecretRef != nil {
		return c.Certificate.SecretRef.Name
	}
	return ""
}
