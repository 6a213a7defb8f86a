package controllers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
)

// finalize deletes or orphans the application, removes the Secret and lets the object go.
//
// The application is deleted by the object's unique name, never by an ID from status, so deleting an
// AppRegistration can only ever delete the application it created.
func (r *AppRegistrationReconciler) finalize(ctx context.Context, s *scope) (ctrl.Result, error) {
	obj := s.obj
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	// The cache may still hold the object from before an earlier reconcile let it go (the Secret's
	// deletion requeues it): ask the API server, so a finished deletion is not started again.
	reader := r.APIReader
	if reader == nil {
		reader = r.Client
	}
	fresh := &entrav1alpha1.AppRegistration{}
	if err := reader.Get(ctx, client.ObjectKeyFromObject(obj), fresh); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if fresh.UID != obj.UID || !controllerutil.ContainsFinalizer(fresh, Finalizer) {
		return ctrl.Result{}, nil
	}
	if r.Tenants != nil {
		// The application lives where the connection points, whether or not the namespace is still
		// admitted: it was when the application was made.
		conn, err := r.Tenants.ResolveForDeletion(ctx, obj)
		if err != nil {
			if te, ok := tenants.IsError(err); ok {
				err = &connectionError{te}
			}
			return r.settle(ctx, s, r.classify(err))
		}
		s.conn, s.graph, s.cloud = conn, conn.Graph, conn.Cloud
	}
	if obj.Spec.DeletionPolicy == entrav1alpha1.DeletionPolicyOrphan {
		if err := r.releaseCredentials(ctx, s); err != nil {
			return r.settle(ctx, s, r.classify(err))
		}
		if obj.Status.AppID != "" {
			r.event(obj, corev1.EventTypeNormal, "Orphaned", "DeleteApplication",
				"Left application %s in Entra ID (deletionPolicy Orphan)", obj.Status.AppID)
		}
	} else {
		confirmAt, err := r.deleteApplication(ctx, s)
		if err != nil {
			return r.settle(ctx, s, r.classify(err))
		}
		if !confirmAt.IsZero() {
			wait := confirmAt.Sub(s.now)
			r.setCondition(s, entrav1alpha1.ConditionReady, metav1.ConditionFalse, entrav1alpha1.ReasonDeleting,
				"Graph does not show the application yet; it may not have replicated. Deleting it again at "+
					confirmAt.UTC().Format("15:04:05")+" before letting the object go")
			return ctrl.Result{RequeueAfter: wait}, nil
		}
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
	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, Finalizer)
	if err := r.patchFinalizers(ctx, obj, before); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s.statusBefore = obj.Status.DeepCopy() // nothing left to write
	r.replicationWaits.forget(obj.UID)
	metrics.ForgetCredentials(obj.Namespace, obj.Name)
	return ctrl.Result{}, nil
}

// releaseCredentials removes the client secrets and certificates the operator made from an
// application it leaves behind (deletionPolicy Orphan): their values live only in the Secret, which
// goes with the object, so left in place they would be valid credentials nobody holds. Everything
// else, federated credentials included, stays as it is. Which credentials go follows from their
// marks in Entra, whatever status says; an application in another tenant than the operator's is
// out of reach, and Orphan lets the object go regardless.
func (r *AppRegistrationReconciler) releaseCredentials(ctx context.Context, s *scope) error {
	if rec := s.obj.Status.TenantID; rec != "" && !strings.EqualFold(rec, s.graph.TenantID()) {
		return nil
	}
	var (
		app graph.Application
		err error
	)
	if s.adopted() {
		var ok bool
		if app, ok, err = r.adoptedForCleanup(ctx, s); err != nil || !ok {
			return err
		}
	} else {
		app, err = s.graph.GetApplication(ctx, s.uniqueName)
		if errors.Is(err, graph.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	s.app, s.releasing = app, true
	if err := r.loadPublishedCredentials(ctx, s); err != nil {
		return err
	}
	for _, step := range []func(context.Context, *scope) (time.Time, error){r.ensureClientSecret, r.ensureCertificate} {
		if _, err := step(ctx, s); err != nil {
			return err
		}
	}
	r.tidyCredentialStatus(s)
	if s.adopted() {
		return r.releaseAdopted(ctx, s)
	}
	return nil
}

// deleteApplication deletes the application with the object's unique name; one that is already gone
// is not an error. A 404 for an object younger than the replication window may be an application
// created moments ago that the answering replica has not seen: then it returns when to try again.
func (r *AppRegistrationReconciler) deleteApplication(ctx context.Context, s *scope) (confirmAt time.Time, err error) {
	obj := s.obj
	if rec := obj.Status.TenantID; rec != "" && !strings.EqualFold(rec, s.graph.TenantID()) {
		return time.Time{}, &tenantMismatchError{recorded: rec, current: s.graph.TenantID(), deleting: true}
	}
	if s.adopted() {
		return time.Time{}, r.deleteAdopted(ctx, s)
	}
	err = s.graph.DeleteApplication(ctx, s.uniqueName)
	switch {
	case err == nil:
		r.event(obj, corev1.EventTypeNormal, "Deleted", "DeleteApplication", "Deleted application %s from Entra ID", obj.Status.AppID)
		return time.Time{}, nil
	case !errors.Is(err, graph.ErrNotFound):
		return time.Time{}, err
	}
	if settled := obj.CreationTimestamp.Add(r.replicationWindow()); s.now.Before(settled) {
		return settled, nil
	}
	return time.Time{}, nil
}
