package controllers

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// SecretLabel marks the Secrets the manager caches and watches: every Secret the operator writes
// carries it (its value names the AppRegistration), and so may a kubernetes.io/tls Secret an
// AppRegistration takes its certificate from (cert-manager's Certificate spec.secretTemplate can
// set it), so its renewals reach Entra at once. No other Secret of the cluster is held in memory or
// wakes the operator.
const SecretLabel = "entra.sso-operator.io/appregistration"

// CacheOptions are the manager's cache settings: managedFields stripped from every cached object
// (the operator never reads them; they are often the larger part of an object), Secrets limited
// to those with SecretLabel, and AppRegistrations and Secrets held in the smaller form of
// cache_transform.go.
func CacheOptions() cache.Options {
	withLabel, err := labels.NewRequirement(SecretLabel, selection.Exists, nil)
	if err != nil {
		panic(fmt.Sprintf("the Secret label selector: %v", err)) // a constant key: cannot happen
	}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:                 {Label: labels.NewSelector().Add(*withLabel), Transform: transformSecret},
			&entrav1alpha1.AppRegistration{}: {Transform: transformAppRegistration},
		},
	}
}

// certificateSecretEvents lets through what happens to kubernetes.io/tls Secrets: created, renewed
// or deleted, each may change the certificate of the AppRegistrations that name it.
func certificateSecretEvents() predicate.Funcs {
	isTLS := func(o client.Object) bool {
		secret, ok := o.(*corev1.Secret)
		return ok && secret.Type == corev1.SecretTypeTLS
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return isTLS(e.Object) },
		UpdateFunc:  func(e event.UpdateEvent) bool { return isTLS(e.ObjectNew) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return isTLS(e.Object) },
		GenericFunc: func(e event.GenericEvent) bool { return isTLS(e.Object) },
	}
}

// ownWrites remembers the resourceVersion of each Secret the operator wrote until the cache has
// it, so the watch event of its own write does not reconcile the object again, and a reconcile
// before that event reads the Secret from the API server instead of the stale cache. Once the
// event came, the cache holds the write and the entry goes: it is kept only for writes in flight,
// not one per Secret for the operator's lifetime (about 300 bytes each at 5,000 objects).
type ownWrites struct{ versions sync.Map }

func (o *ownWrites) note(obj client.Object) {
	o.versions.Store(client.ObjectKeyFromObject(obj), obj.GetResourceVersion())
}

// isCurrent reports whether obj is at least what the operator last wrote of it: true when no write
// of it is in flight, or obj carries the version it wrote.
func (o *ownWrites) isCurrent(obj client.Object) bool {
	v, ok := o.versions.Load(client.ObjectKeyFromObject(obj))
	return !ok || v == obj.GetResourceVersion()
}

func (o *ownWrites) forget(obj client.Object) { o.versions.Delete(client.ObjectKeyFromObject(obj)) }

// arrived reports whether a watch event's obj is the operator's own write, and then forgets the
// write: the informer stores an object before it hands out its event, so the cache has it now.
func (o *ownWrites) arrived(obj client.Object) bool {
	return o.versions.CompareAndDelete(client.ObjectKeyFromObject(obj), obj.GetResourceVersion())
}

// secretEvents lets through what the operator must react to: an owned Secret edited by someone
// else or deleted. Creations are the operator's own (or, at start-up, the initial list, which the
// AppRegistrations' own list covers), and so are updates with the version it wrote.
func (r *AppRegistrationReconciler) secretEvents() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool {
			r.secretWrites.arrived(e.Object)
			return false
		},
		UpdateFunc: func(e event.UpdateEvent) bool { return !r.secretWrites.arrived(e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool {
			r.secretWrites.forget(e.Object)
			return true
		},
		GenericFunc: func(event.GenericEvent) bool { return true },
	}
}

// createSecret creates the object's Secret. A Secret of that name the cache does not show exists
// without the operator's label: taken over when the object controls it (someone removed the
// label), with own and spec metadata merged into its own, and refused otherwise.
func (r *AppRegistrationReconciler) createSecret(ctx context.Context, obj *entrav1alpha1.AppRegistration, secret *corev1.Secret, own, spec secretdata.Metadata) (created bool, err error) {
	err = r.Create(ctx, secret)
	if err == nil {
		r.secretWrites.note(secret)
		return true, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating Secret %s: %w", secret.Name, err)
	}
	existing := &corev1.Secret{}
	if err := r.apiReader().Get(ctx, client.ObjectKeyFromObject(secret), existing); err != nil {
		return false, fmt.Errorf("reading Secret %s: %w", secret.Name, err)
	}
	if !metav1.IsControlledBy(existing, obj) {
		return false, &secretConflictError{name: secret.Name}
	}
	meta := secretdata.MergeMetadata(secretdata.Metadata{Labels: existing.Labels, Annotations: existing.Annotations}, own, spec)
	existing.Labels, existing.Annotations = meta.Labels, meta.Annotations
	existing.Data = secret.Data
	if err := r.Update(ctx, existing); err != nil {
		return false, fmt.Errorf("updating Secret %s: %w", secret.Name, err)
	}
	r.secretWrites.note(existing)
	return false, nil
}

// getOwnedSecret reads a Secret from the cache, and from the API server when the cache does not
// have it (it lacks the operator's label), for the rare paths that delete one.
func (r *AppRegistrationReconciler) getOwnedSecret(ctx context.Context, key types.NamespacedName, secret *corev1.Secret) error {
	err := r.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		err = r.apiReader().Get(ctx, key, secret)
	}
	return err
}

func (r *AppRegistrationReconciler) apiReader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}
