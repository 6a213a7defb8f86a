package controllers

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// publishSecret writes the client configuration to the Secret, which the AppRegistration owns, and
// has the consumers that read it only at start roll when its content changed. The tenant and
// client IDs are the ones Entra reported in this reconcile; the credentials are the ones the
// credentials phase settled on.
func (r *AppRegistrationReconciler) publishSecret(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.obj.Status
	name := s.obj.SecretName()
	if err := r.writeSecret(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	// The target was renamed: remove the Secret written under the old name.
	if old := st.SecretName; old != "" && old != name {
		if err := r.deleteOwnedSecret(ctx, s.obj, old); err != nil {
			return ctrl.Result{}, err
		}
	}
	st.SecretName = name
	// Consumers roll even while a template fails: a rotated credential in the format's keys must
	// reach them before the one it replaced expires.
	if err := r.updateConsumers(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, s.templateErr
}

// outputSecret returns the Secret the client configuration goes to, read once per reconcile (nil
// when it does not exist yet). A Secret of that name that this object does not control is a
// conflict: the operator neither writes it nor takes credentials from it.
func (r *AppRegistrationReconciler) outputSecret(ctx context.Context, s *scope) (*corev1.Secret, error) {
	if s.secretLoaded {
		return s.secret, nil
	}
	secret, err := r.ownedSecret(ctx, s.obj, s.obj.SecretName())
	if err != nil {
		return nil, err
	}
	s.secret, s.secretLoaded = secret, true
	return secret, nil
}

// ownedSecret reads the named Secret of obj's namespace: nil when it does not exist, a
// secretConflictError when obj does not control it.
func (r *AppRegistrationReconciler) ownedSecret(ctx context.Context, obj *entrav1alpha1.AppRegistration, name string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: name}
	err := r.Get(ctx, key, secret)
	if err == nil && !r.secretWrites.isCurrent(secret) {
		// The cache has not caught up with the operator's last write of this Secret (or someone
		// wrote after it): the credentials decided from it must come from what is really stored.
		fresh := &corev1.Secret{}
		if err = r.apiReader().Get(ctx, key, fresh); err == nil {
			// Given the form the cache holds Secrets in, so there is one form to compare.
			trimOutputSecret(fresh)
			secret = fresh
			r.secretWrites.note(fresh)
		}
	}
	if apierrors.IsNotFound(err) && obj.Spec.Credentials != nil {
		// The cache holds only Secrets with the operator's label. One of this name without it (the
		// label removed, or someone else's Secret) must still be seen before credentials are made
		// for it: a credential whose Secret cannot be written would only be made to be removed.
		if err = r.apiReader().Get(ctx, key, secret); err == nil {
			trimOutputSecret(secret)
		}
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	case !metav1.IsControlledBy(secret, obj):
		return nil, &secretConflictError{name: name}
	}
	return secret, nil
}

// writeSecret renders the Secret from what this reconcile established and creates or updates it
// when it differs. The credentials phase calls it right after adding a credential, so the new value
// reaches the Secret before anything else can fail; the Secret phase calls it again, which then
// writes nothing. A template that fails to render does not stop the write: the format's keys,
// which hold the credentials, are written, the templates' keys keep what they held, and the
// failure is kept in s.templateErr for the Secret phase to report.
func (r *AppRegistrationReconciler) writeSecret(ctx context.Context, s *scope) error {
	secret, err := r.outputSecret(ctx, s)
	if err != nil {
		return err
	}
	in := secretInput(s)
	data, err := renderSecret(s, in, secret)
	if err != nil {
		return err
	}
	// What the Secret holds once this returns without an error; the consumers are given it. The
	// Secret records it too: the cache holds Secrets without the keys the format renders anew
	// (cache_transform.go), and this annotation, set from the data as stored, is what says the data
	// is what it should be.
	hash := secretdata.ContentHash(data)
	own := secretdata.Metadata{Labels: secretLabels(s.obj), Annotations: secretdata.Annotations(in)}
	own.Annotations[secretdata.AnnotationContentHash] = hash
	spec := specMetadata(s.obj)
	name := s.obj.SecretName()

	if secret == nil {
		meta := secretdata.MergeMetadata(secretdata.Metadata{}, own, spec)
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.obj.Namespace, Labels: meta.Labels, Annotations: meta.Annotations},
			Type:       corev1.SecretTypeOpaque,
			Data:       data,
		}
		if err := controllerutil.SetControllerReference(s.obj, secret, r.Scheme()); err != nil {
			return err
		}
		created, err := r.createSecret(ctx, s.obj, secret, own, spec)
		if err != nil {
			return err
		}
		s.secretHash = hash
		if !created {
			// It existed without the operator's label, so the cache did not show it; createSecret
			// wrote it with the label back.
			s.changes = append(s.changes, "labeled Secret "+name+" again")
			return nil
		}
		s.secret = secret
		r.event(s.obj, corev1.EventTypeNormal, "SecretCreated", "PublishSecret", "Wrote the client configuration to Secret %s", name)
		s.changes = append(s.changes, "created Secret "+name)
		return nil
	}
	next := secretdata.MergeMetadata(secretdata.Metadata{Labels: secret.Labels, Annotations: secret.Annotations}, own, spec)
	// The data is compared by its hash, which is among the annotations.
	if maps.Equal(secret.Annotations, next.Annotations) && maps.Equal(secret.Labels, next.Labels) {
		s.secretHash = hash
		return nil
	}
	updated := secret.DeepCopy()
	updated.Data, updated.Annotations, updated.Labels = data, next.Annotations, next.Labels
	if err := r.Update(ctx, updated); err != nil {
		return fmt.Errorf("updating Secret %s: %w", name, err)
	}
	r.secretWrites.note(updated)
	s.secret = updated
	s.secretHash = hash
	r.event(s.obj, corev1.EventTypeNormal, "SecretUpdated", "PublishSecret", "Updated the client configuration in Secret %s", name)
	s.changes = append(s.changes, "updated Secret "+name)
	return nil
}

// secretInput is what the Secret is rendered from in this reconcile: the IDs Entra reported, the
// credentials the credentials phase settled on, and the spec.
func secretInput(s *scope) secretdata.Input {
	spec := &s.obj.Spec
	in := secretdata.Input{TenantID: s.graph.TenantID(), ClientID: s.app.AppID, Cloud: s.cloud,
		ClientSecret: s.clientSecret, Certificate: s.certificate, Format: secretdata.Format(spec.Secret.Format)}
	if spec.Web != nil {
		for _, u := range spec.Web.RedirectURIs {
			in.RedirectURIs = append(in.RedirectURIs, string(u))
		}
	}
	for _, p := range spec.Permissions {
		for _, n := range p.Delegated {
			in.DelegatedPermissions = append(in.DelegatedPermissions, string(n))
		}
	}
	for _, t := range spec.Secret.Templates {
		in.Templates = append(in.Templates, secretdata.Template{Key: string(t.Key), Value: t.Value})
	}
	return in
}

// renderSecret returns the Secret's data: the format's keys and the templates'. When a template
// fails, the templates' keys keep the values current holds, and the failure goes to
// s.templateErr; only a format that cannot be rendered is an error.
func renderSecret(s *scope, in secretdata.Input, current *corev1.Secret) (map[string][]byte, error) {
	data, err := secretdata.RenderFormat(in)
	if err != nil {
		return nil, err
	}
	templates, err := secretdata.RenderTemplates(in)
	s.templateErr = err
	if err != nil {
		templates = map[string][]byte{}
		if current != nil {
			for _, t := range in.Templates {
				if v, ok := current.Data[t.Key]; ok {
					templates[t.Key] = v
				}
			}
		}
	}
	for k, v := range templates {
		if _, taken := data[k]; !taken {
			data[k] = v
		}
	}
	return data, nil
}

// specMetadata are the labels and annotations spec.secret asks for.
func specMetadata(obj *entrav1alpha1.AppRegistration) secretdata.Metadata {
	out := secretdata.Metadata{Annotations: obj.Spec.Secret.Annotations}
	if len(obj.Spec.Secret.Labels) > 0 {
		out.Labels = make(map[string]string, len(obj.Spec.Secret.Labels))
		for k, v := range obj.Spec.Secret.Labels {
			out.Labels[k] = string(v)
		}
	}
	return out
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
		"app.kubernetes.io/managed-by": "entra-sso-operator",
		SecretLabel:                    obj.Name,
	}
}
