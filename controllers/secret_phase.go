package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// publishSecret writes the client configuration to the Secret, which the AppRegistration owns. The
// tenant and client IDs are the ones Entra reported in this reconcile.
func (r *AppRegistrationReconciler) publishSecret(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.obj.Status
	name := s.obj.SecretName()
	data := secretdata.Render(secretdata.Input{TenantID: r.Graph.TenantID(), ClientID: s.app.AppID, Cloud: r.Cloud})

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
			return ctrl.Result{}, err
		}
		created, err := r.createSecret(ctx, s.obj, secret)
		if err != nil {
			return ctrl.Result{}, err
		}
		if created {
			r.event(s.obj, corev1.EventTypeNormal, "SecretCreated", "PublishSecret", "Wrote the client configuration to Secret %s", name)
			s.changes = append(s.changes, "created Secret "+name)
		} else {
			s.changes = append(s.changes, "labeled Secret "+name+" again")
		}
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Secret %s: %w", name, err)
	case !metav1.IsControlledBy(secret, s.obj):
		return ctrl.Result{}, &secretConflictError{name: name}
	case !equality.Semantic.DeepEqual(secret.Data, data):
		secret.Data = data
		if err := r.Update(ctx, secret); err != nil {
			return ctrl.Result{}, fmt.Errorf("updating Secret %s: %w", name, err)
		}
		r.secretWrites.note(secret)
		r.event(s.obj, corev1.EventTypeNormal, "SecretUpdated", "PublishSecret", "Updated the client configuration in Secret %s", name)
		s.changes = append(s.changes, "updated Secret "+name)
	}

	// The target was renamed: remove the Secret written under the old name.
	if old := st.SecretName; old != "" && old != name {
		if err := r.deleteOwnedSecret(ctx, s.obj, old); err != nil {
			return ctrl.Result{}, err
		}
	}
	st.SecretName = name
	return ctrl.Result{}, nil
}

// deleteOwnedSecret deletes the named Secret if, and only if, this AppRegistration controls it.
func (r *AppRegistrationReconciler) deleteOwnedSecret(ctx context.Context, obj *entrav1alpha1.AppRegistration, name string) error {
	secret := &corev1.Secret{}
	err := r.getOwnedSecret(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, secret)
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
