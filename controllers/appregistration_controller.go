// Package controllers holds the reconcilers of the entra-sso-operator.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// Finalizer holds an AppRegistration until its Entra application is deleted or orphaned.
const Finalizer = "entra.sso-operator.io/finalizer"

// replicationRetry is how soon to look again when Entra has not replicated a new object yet.
const replicationRetry = 3 * time.Second

// AppRegistrationReconciler keeps an Entra application, its service principal and the output Secret
// as an AppRegistration declares them.
type AppRegistrationReconciler struct {
	client.Client
	// Graph talks to the operator's tenant.
	Graph graph.Client
	// Cloud names the endpoints written to the Secret.
	Cloud cloud.Cloud
	// Recorder emits Kubernetes events.
	Recorder events.EventRecorder
	// ResyncPeriod is how often an object in sync is compared with Entra again, to put back what was
	// changed in the portal. Each object is spread by up to 10% jitter so resyncs do not bunch up.
	ResyncPeriod time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles.
	MaxConcurrentReconciles int
}

// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=appregistrations/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile reads like the steps a platform engineer would take in the portal: make sure the
// application exists and matches the spec, make sure its service principal exists, then publish the
// client configuration in the Secret. Status is written at the end, and once more right after the
// application is created so its IDs survive a crash.
func (r *AppRegistrationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &entrav1alpha1.AppRegistration{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}
	if controllerutil.AddFinalizer(obj, Finalizer) {
		if err := r.Update(ctx, obj); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer: %w", err)
		}
	}

	s := &scope{obj: obj, statusBefore: obj.Status.DeepCopy()}
	err := r.sync(ctx, s)
	result, err := r.settle(ctx, s, err)
	if patchErr := r.patchStatus(ctx, s); patchErr != nil {
		return ctrl.Result{}, errors.Join(err, patchErr)
	}
	return result, err
}

// scope carries one reconcile's object and what its phases learned.
type scope struct {
	obj          *entrav1alpha1.AppRegistration
	statusBefore *entrav1alpha1.AppRegistrationStatus
	// createdApp is true when this reconcile created the application.
	createdApp bool
	// changes lists what this reconcile changed, for the log.
	changes []string
}

func (r *AppRegistrationReconciler) sync(ctx context.Context, s *scope) error {
	if err := r.ensureApplication(ctx, s); err != nil {
		return err
	}
	if err := r.ensureServicePrincipal(ctx, s); err != nil {
		return err
	}
	return r.publishSecret(ctx, s)
}

// ensureApplication creates the application idempotently or brings the existing one in line with
// the spec, writing only the fields that differ.
func (r *AppRegistrationReconciler) ensureApplication(ctx context.Context, s *scope) error {
	st := &s.obj.Status
	st.TenantID = r.Graph.TenantID()
	if st.UniqueName == "" {
		st.UniqueName = desired.UniqueName(string(s.obj.UID))
	}
	want := desired.Application(s.obj.Spec)

	if st.ObjectID != "" {
		observed, err := r.Graph.GetApplication(ctx, graph.ApplicationRef{ObjectID: st.ObjectID})
		switch {
		case err == nil:
			return r.updateApplication(ctx, s, want, observed)
		case !errors.Is(err, graph.ErrNotFound):
			return err
		}
		// A 404 is either replication lag right after a create or a deletion behind the operator's
		// back. The upsert below tells them apart without risking a duplicate: it finds the
		// application by unique name, or creates it again.
	}
	return r.upsertApplication(ctx, s, want)
}

func (r *AppRegistrationReconciler) upsertApplication(ctx context.Context, s *scope, want graph.Application) error {
	st := &s.obj.Status
	res, created, err := r.Graph.UpsertApplication(ctx, st.UniqueName, want)
	if err != nil {
		return err
	}
	if !created {
		// It existed: a crash came between an earlier create and the status write, or Graph had not
		// replicated it to the replica that answered the read. The upsert already wrote the spec.
		res, err = r.Graph.GetApplication(ctx, graph.ApplicationRef{UniqueName: st.UniqueName})
		if errors.Is(err, graph.ErrNotFound) {
			return errReplicating("the application")
		}
		if err != nil {
			return err
		}
	}
	recreated := st.ObjectID != "" && st.ObjectID != res.ObjectID
	if st.ObjectID != res.ObjectID || st.AppID != res.AppID {
		st.ServicePrincipalID = "" // a new application has a new service principal
	}
	st.ObjectID, st.AppID = res.ObjectID, res.AppID
	s.createdApp = created
	// Record the IDs at once, so that even a crash right here leaves them behind.
	if err := r.patchStatus(ctx, s); err != nil {
		return err
	}
	switch {
	case recreated:
		r.event(s.obj, corev1.EventTypeWarning, "Recreated", "CreateApplication",
			"Application %s was deleted outside the operator and has been created again", res.AppID)
	case created:
		r.event(s.obj, corev1.EventTypeNormal, "Created", "CreateApplication", "Created application %s", res.AppID)
	}
	if created || recreated {
		s.changes = append(s.changes, "created the application")
	}
	return nil
}

func (r *AppRegistrationReconciler) updateApplication(ctx context.Context, s *scope, want, observed graph.Application) error {
	fields := desired.Diff(want, observed)
	if len(fields) == 0 {
		return nil
	}
	if err := r.Graph.UpdateApplication(ctx, observed.ObjectID, want, fields); err != nil {
		return err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(f)
	}
	r.event(s.obj, corev1.EventTypeNormal, "Updated", "UpdateApplication",
		"Updated %s of application %s", strings.Join(names, ", "), observed.AppID)
	s.changes = append(s.changes, "updated "+strings.Join(names, ", "))
	return nil
}

// ensureServicePrincipal makes sure the application has its service principal in the tenant, which
// users sign in to and consent is granted on.
func (r *AppRegistrationReconciler) ensureServicePrincipal(ctx context.Context, s *scope) error {
	st := &s.obj.Status
	if !s.createdApp { // a brand-new application cannot have one yet: skip the read
		sp, err := r.Graph.GetServicePrincipal(ctx, st.AppID)
		if err == nil {
			st.ServicePrincipalID = sp.ObjectID
			return nil
		}
		if !errors.Is(err, graph.ErrNotFound) {
			return err
		}
	}
	sp, err := r.Graph.CreateServicePrincipal(ctx, st.AppID)
	if graph.KindOf(err) == graph.KindConflict {
		// Created by an earlier attempt whose answer was lost; read it.
		sp, err = r.Graph.GetServicePrincipal(ctx, st.AppID)
	}
	if err != nil {
		if graph.KindOf(err) == graph.KindReplicationLag || errors.Is(err, graph.ErrNotFound) {
			return errReplicating("the application, before its service principal can be created")
		}
		return err
	}
	st.ServicePrincipalID = sp.ObjectID
	r.event(s.obj, corev1.EventTypeNormal, "Created", "CreateServicePrincipal",
		"Created service principal %s for application %s", sp.ObjectID, st.AppID)
	s.changes = append(s.changes, "created the service principal")
	return nil
}

// publishSecret writes the client configuration to the Secret, which the AppRegistration owns.
func (r *AppRegistrationReconciler) publishSecret(ctx context.Context, s *scope) error {
	st := &s.obj.Status
	name := s.obj.SecretName()
	data := secretdata.Render(secretdata.Input{TenantID: st.TenantID, ClientID: st.AppID, Cloud: r.Cloud})

	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: s.obj.Namespace, Name: name}
	err := r.Get(ctx, key, secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.obj.Namespace, Labels: secretLabels(s.obj)},
			Type:       corev1.SecretTypeOpaque,
			Data:       data,
		}
		if err := controllerutil.SetControllerReference(s.obj, secret, r.Scheme()); err != nil {
			return err
		}
		if err := r.Create(ctx, secret); err != nil {
			return fmt.Errorf("creating Secret %s: %w", name, err)
		}
		r.event(s.obj, corev1.EventTypeNormal, "SecretCreated", "PublishSecret", "Wrote the client configuration to Secret %s", name)
		s.changes = append(s.changes, "created Secret "+name)
	case err != nil:
		return fmt.Errorf("reading Secret %s: %w", name, err)
	case !metav1.IsControlledBy(secret, s.obj):
		return &secretConflictError{name: name}
	case !equality.Semantic.DeepEqual(secret.Data, data):
		secret.Data = data
		if err := r.Update(ctx, secret); err != nil {
			return fmt.Errorf("updating Secret %s: %w", name, err)
		}
		r.event(s.obj, corev1.EventTypeNormal, "SecretUpdated", "PublishSecret", "Updated the client configuration in Secret %s", name)
		s.changes = append(s.changes, "updated Secret "+name)
	}

	// The target was renamed: remove the Secret written under the old name.
	if old := st.SecretName; old != "" && old != name {
		if err := r.deleteOwnedSecret(ctx, s.obj, old); err != nil {
			return err
		}
	}
	st.SecretName = name
	return nil
}

func (r *AppRegistrationReconciler) deleteOwnedSecret(ctx context.Context, obj *entrav1alpha1.AppRegistration, name string) error {
	secret := &corev1.Secret{}
	err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, secret)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading Secret %s: %w", name, err)
	}
	if !metav1.IsControlledBy(secret, obj) {
		return nil
	}
	if err := r.Delete(ctx, secret, client.Preconditions{UID: &secret.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting Secret %s: %w", name, err)
	}
	return nil
}

func secretLabels(obj *entrav1alpha1.AppRegistration) map[string]string {
	return map[string]string{
		"app.kubernetes.io/managed-by":          "entra-sso-operator",
		"entra.sso-operator.io/appregistration": obj.Name,
	}
}

// finalize deletes or orphans the application, removes the Secret and lets the object go.
func (r *AppRegistrationReconciler) finalize(ctx context.Context, obj *entrav1alpha1.AppRegistration) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	if obj.Spec.DeletionPolicy == entrav1alpha1.DeletionPolicyOrphan {
		if obj.Status.AppID != "" {
			r.event(obj, corev1.EventTypeNormal, "Orphaned", "DeleteApplication",
				"Left application %s in Entra ID (deletionPolicy Orphan)", obj.Status.AppID)
		}
	} else if err := r.deleteApplication(ctx, obj); err != nil {
		s := &scope{obj: obj, statusBefore: obj.Status.DeepCopy()}
		result, err := r.settle(ctx, s, err)
		return result, errors.Join(err, r.patchStatus(ctx, s))
	}
	// Garbage collection would remove the Secret too; deleting it here does not leave a window in
	// which credentials of a deleted application linger.
	// Both names: the target may have been renamed after the last Secret was written.
	for _, name := range slices.Compact([]string{obj.SecretName(), obj.Status.SecretName}) {
		if name == "" {
			continue
		}
		if err := r.deleteOwnedSecret(ctx, obj, name); err != nil {
			return ctrl.Result{}, err
		}
	}
	controllerutil.RemoveFinalizer(obj, Finalizer)
	if err := r.Update(ctx, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// deleteApplication deletes the application; one that is already gone is not an error. It falls
// back to the unique name so an application whose create never reached status is not leaked, and so
// a 404 caused by replication lag is not taken for a deletion.
func (r *AppRegistrationReconciler) deleteApplication(ctx context.Context, obj *entrav1alpha1.AppRegistration) error {
	uniqueName := obj.Status.UniqueName
	if uniqueName == "" && obj.UID != "" {
		uniqueName = desired.UniqueName(string(obj.UID))
	}
	deleted := false
	for _, ref := range []graph.ApplicationRef{{ObjectID: obj.Status.ObjectID}, {UniqueName: uniqueName}} {
		if ref.ObjectID == "" && ref.UniqueName == "" {
			continue
		}
		err := r.Graph.DeleteApplication(ctx, ref)
		if err == nil {
			deleted = true
			break
		}
		if !errors.Is(err, graph.ErrNotFound) {
			return err
		}
	}
	if deleted {
		r.event(obj, corev1.EventTypeNormal, "Deleted", "DeleteApplication", "Deleted application %s from Entra ID", obj.Status.AppID)
	}
	return nil
}

func (r *AppRegistrationReconciler) event(obj *entrav1alpha1.AppRegistration, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(obj, nil, eventType, reason, action, note, args...)
	}
}

// resyncAfter spreads resyncs over ±10% of the period.
func (r *AppRegistrationReconciler) resyncAfter() time.Duration {
	if r.ResyncPeriod <= 0 {
		return 0
	}
	jitter := time.Duration(rand.Int64N(int64(r.ResyncPeriod)/5+1)) - r.ResyncPeriod/10
	return r.ResyncPeriod + jitter
}

// SetupWithManager registers the reconciler. Secrets are watched by metadata only, which is enough to
// notice an edit or deletion of an owned Secret without caching every Secret's data.
func (r *AppRegistrationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&entrav1alpha1.AppRegistration{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.Secret{}, builder.OnlyMetadata).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles)}).
		Named("appregistration").
		Complete(r)
}
