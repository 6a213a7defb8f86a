package controllers

import (
	"maps"
	"unique"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// The cache holds every AppRegistration and every Secret the operator writes, so what each copy
// carries is what the manager's memory grows by per object (about 5.5 KiB before these
// transforms; BenchmarkCachedObjectBytes measures it). The transforms drop what the operator never
// reads from the cache and share the strings every object repeats.

// transformAppRegistration drops managedFields and kubectl's last-applied-configuration
// annotation (a second copy of the spec, kept for kubectl alone), and shares the strings
// repeated across objects. The operator writes AppRegistrations only by patches computed
// against the cached copy, never by sending the whole object, so nothing dropped here can be
// written back as missing.
func transformAppRegistration(in any) (any, error) {
	obj, ok := in.(*entrav1alpha1.AppRegistration)
	if !ok {
		return stripManagedFields(in)
	}
	obj.ManagedFields = nil
	if _, ok := obj.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		obj.Annotations = maps.Clone(obj.Annotations)
		delete(obj.Annotations, corev1.LastAppliedConfigAnnotation)
		if len(obj.Annotations) == 0 {
			obj.Annotations = nil
		}
	}
	obj.APIVersion, obj.Kind = intern(obj.APIVersion), intern(obj.Kind)
	internMeta(&obj.ObjectMeta)
	obj.Status.TenantID = intern(obj.Status.TenantID)
	for i := range obj.Status.Conditions {
		c := &obj.Status.Conditions[i]
		c.Type, c.Reason = intern(c.Type), intern(c.Reason)
		c.Status = metav1.ConditionStatus(intern(string(c.Status)))
	}
	return obj, nil
}

// transformSecret drops managedFields and, from a Secret an AppRegistration controls, the keys
// its format renders anew at each reconcile (secretdata.Retained): the credentials and the
// templates' keys stay. What was dropped is accounted for by the content hash annotation, which
// is set to the hash of the data as stored (so a Secret edited by hand, hash annotation and all,
// reads as differing from what the operator would write). A Secret without the annotation keeps
// lacking it, which reads as differing too: the operator writes it once. kubernetes.io/tls
// Secrets that certificates are taken from are kept whole.
func transformSecret(in any) (any, error) {
	secret, ok := in.(*corev1.Secret)
	if !ok {
		return stripManagedFields(in)
	}
	secret.ManagedFields = nil
	trimOutputSecret(secret)
	internMeta(&secret.ObjectMeta)
	secret.Type = corev1.SecretType(intern(string(secret.Type)))
	return secret, nil
}

// trimOutputSecret gives an output Secret the form the cache holds it in (transformSecret); the
// reconciler does the same to a Secret it reads from the API server, so it compares one form only.
// Only to a Secret as stored: the hash is of the data it is given, and a trimmed Secret's is not
// the Secret's.
func trimOutputSecret(secret *corev1.Secret) {
	if secret.Type == corev1.SecretTypeTLS || !controlledByAppRegistration(secret) {
		return
	}
	if _, ok := secret.Annotations[secretdata.AnnotationContentHash]; ok {
		secret.Annotations = maps.Clone(secret.Annotations)
		secret.Annotations[secretdata.AnnotationContentHash] = secretdata.ContentHash(secret.Data)
	}
	secret.Data = secretdata.Retained(secret.Data, secretdata.FormatOf(secret.Annotations))
}

func controlledByAppRegistration(obj metav1.Object) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.Kind == "AppRegistration" && ref.APIVersion == entrav1alpha1.GroupVersion.String()
}

// stripManagedFields is the default transform, for what is not the type a transform expects.
var stripManagedFields = cache.TransformStripManagedFields()

// internMeta shares the strings objects repeat: the namespace, label and annotation keys and
// values, finalizers and owner references' kinds. Values unique to an object (names, UIDs, key IDs)
// are left alone: interning them would only add the table's own entry.
func internMeta(m *metav1.ObjectMeta) {
	m.Namespace = intern(m.Namespace)
	if len(m.Labels) > 0 {
		out := make(map[string]string, len(m.Labels))
		for k, v := range m.Labels {
			if k != SecretLabel { // its value is the AppRegistration's name
				v = intern(v)
			}
			out[intern(k)] = v
		}
		m.Labels = out
	}
	if len(m.Annotations) > 0 {
		out := make(map[string]string, len(m.Annotations))
		for k, v := range m.Annotations {
			out[intern(k)] = v
		}
		m.Annotations = out
	}
	for i := range m.Finalizers {
		m.Finalizers[i] = intern(m.Finalizers[i])
	}
	for i := range m.OwnerReferences {
		ref := &m.OwnerReferences[i]
		ref.APIVersion, ref.Kind = intern(ref.APIVersion), intern(ref.Kind)
	}
}

// intern returns the one shared copy of s. The table's entries go when no object refers to them.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}
