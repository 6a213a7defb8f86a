package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// updateConsumers gives the pod template of every workload spec.secret.consumers names the
// Secret's content hash (annotation entra.sso-operator.io/secret-hash), which rolls its pods so a
// CRM that reads its configuration only at start picks up a changed Secret.
//
// Status records the hash each consumer was given, so a reconcile of an object in sync reads and
// writes no workload, and the annotation changes only with the Secret's content: someone who
// removes it, or a deployment tool that resets the pod template, does not make the operator roll
// the pods again. A consumer named for the first time gets the annotation at once (one rollout).
// A consumer that does not exist is skipped: when it is created it reads the Secret as it is.
// Only workloads of the object's own namespace are touched, and they are read around the cache,
// which holds no Deployments or StatefulSets.
//
// status.secretHash is kept only while consumers are named: it is what they are given, and
// recording it for every object would cost each a status write for nothing.
func (r *AppRegistrationReconciler) updateConsumers(ctx context.Context, s *scope) error {
	hash := s.secretHash
	if len(s.obj.Spec.Secret.Consumers) == 0 {
		hash = ""
	}
	s.obj.Status.SecretHash = hash
	recorded := s.obj.Status.Consumers
	var next []entrav1alpha1.ConsumerStatus
	var restarted []string
	// Whatever is done is recorded and told, also when a later consumer fails. One event names
	// them all: events of one reason about one object are merged into a series, which keeps only
	// the first note.
	defer func() {
		s.obj.Status.Consumers = next
		if len(restarted) > 0 {
			r.event(s.obj, corev1.EventTypeNormal, "ConsumerRestarted", "UpdateConsumers",
				"Set %s on the pod template of %s: their pods roll to read Secret %s again",
				secretdata.AnnotationContentHash, strings.Join(restarted, ", "), s.obj.SecretName())
			s.changes = append(s.changes, "restarted "+strings.Join(restarted, ", "))
		}
	}()
	for _, c := range s.obj.Spec.Secret.Consumers {
		if slices.ContainsFunc(recorded, func(rec entrav1alpha1.ConsumerStatus) bool {
			return rec.Kind == c.Kind && rec.Name == c.Name && rec.SecretHash == hash
		}) {
			next = append(next, entrav1alpha1.ConsumerStatus{Kind: c.Kind, Name: c.Name, SecretHash: hash})
			continue
		}
		found, patched, err := r.setContentHash(ctx, s, c, hash)
		if err != nil {
			return err
		}
		if patched {
			restarted = append(restarted, fmt.Sprintf("%s %s", c.Kind, c.Name))
		}
		if !found {
			s.consumerNotes = append(s.consumerNotes, fmt.Sprintf("%s %s does not exist", c.Kind, c.Name))
			continue
		}
		next = append(next, entrav1alpha1.ConsumerStatus{Kind: c.Kind, Name: c.Name, SecretHash: hash})
	}
	return nil
}

// setContentHash sets the annotation on one consumer's pod template, if it holds another value.
// It reports whether the consumer exists and whether it was patched.
func (r *AppRegistrationReconciler) setContentHash(ctx context.Context, s *scope, c entrav1alpha1.SecretConsumer, hash string) (found, patched bool, err error) {
	workload, template := consumerObject(c.Kind)
	key := types.NamespacedName{Namespace: s.obj.Namespace, Name: c.Name}
	err = r.apiReader().Get(ctx, key, workload)
	if apierrors.IsNotFound(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("reading %s %s, a consumer of the Secret: %w", c.Kind, c.Name, err)
	}
	if template().Annotations[secretdata.AnnotationContentHash] == hash {
		return true, false, nil
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{secretdata.AnnotationContentHash: hash}},
	}}})
	if err != nil {
		return true, false, err
	}
	if err := r.Patch(ctx, workload, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return true, false, fmt.Errorf("setting the Secret's content hash on %s %s: %w", c.Kind, c.Name, err)
	}
	return true, true, nil
}

// consumerObject is an empty workload of the kind, and a view of its pod template once read.
func consumerObject(kind entrav1alpha1.ConsumerKind) (client.Object, func() *corev1.PodTemplateSpec) {
	if kind == entrav1alpha1.ConsumerStatefulSet {
		sts := &appsv1.StatefulSet{}
		return sts, func() *corev1.PodTemplateSpec { return &sts.Spec.Template }
	}
	d := &appsv1.Deployment{}
	return d, func() *corev1.PodTemplateSpec { return &d.Spec.Template }
}

// secretReadyMessage is SecretReady's message when the phase succeeded.
func secretReadyMessage(s *scope) string {
	msg := "Secret " + s.obj.Status.SecretName + " holds the client configuration"
	if n := len(s.obj.Status.Consumers); n > 0 {
		msg += fmt.Sprintf("; %d consumer(s) carry its content hash", n)
	}
	if len(s.consumerNotes) > 0 {
		msg += "; " + strings.Join(s.consumerNotes, "; ")
	}
	return msg
}
