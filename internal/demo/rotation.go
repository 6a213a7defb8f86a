package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// demonstrateRotation rotates the client secret of every AppRegistration whose Secret holds one,
// the way an administrator would (the rotate annotation), and proves, with the proof that plays
// the Secret's CRM, that the new secret signs in and that the old one still does during its
// overlap: a rotation nobody using the Secret notices. A CRM that reads its Secret only at start
// is rolled: the demo shows the new content hash on the consumers' pod templates.
func (r *runner) demonstrateRotation(ctx context.Context, kc kubectl, c client.Client, proofClient *http.Client, ready []readiness) error {
	rotated := 0
	for _, rd := range ready {
		obj := rd.obj
		secretKey := client.ObjectKey{Namespace: obj.Namespace, Name: sampleReport{obj: obj}.secretName()}
		before := &corev1.Secret{}
		if err := c.Get(ctx, secretKey, before); err != nil {
			return fmt.Errorf("reading Secret %s: %w", secretKey, err)
		}
		key, _, _ := secretdata.CredentialKeys(secretdata.FormatOf(before.Annotations))
		oldKeyID := before.Annotations[secretdata.AnnotationClientSecretKeyID]
		prover, ok := clientSecretProver(proversFor(obj, r.emulator.creds.AuthorityHost), key)
		if key == "" || len(before.Data[key]) == 0 || oldKeyID == "" || !ok {
			continue
		}
		fmt.Fprintf(r.out, "Rotating the client secret of AppRegistration %s/%s (key %s), as an administrator would:\n", obj.Namespace, obj.Name, oldKeyID)
		request := time.Now().UTC().Format(time.RFC3339)
		if err := r.kubectlStep(ctx, kc, "annotate", "appregistration", obj.Name, "--namespace", obj.Namespace,
			entrav1alpha1.RotateAnnotation+"="+request, "--overwrite"); err != nil {
			return err
		}
		after, err := waitForNewClientSecret(ctx, c, r.manager, secretKey, key, oldKeyID, r.cfg.ReadyTimeout)
		if err != nil {
			return fmt.Errorf("AppRegistration %s/%s: %w", obj.Namespace, obj.Name, err)
		}
		newKeyID := after.Annotations[secretdata.AnnotationClientSecretKeyID]
		old := maps.Clone(after.Data)
		old[key] = before.Data[key]
		fmt.Fprintf(r.out, "  Secret %s now holds client secret %s in %s; proofs from its keys:\n", secretKey, newKeyID, key)
		var failures []error
		for _, p := range []struct {
			label string
			data  map[string][]byte
		}{{"new secret " + newKeyID, after.Data}, {"old secret " + oldKeyID + " (its overlap)", old}} {
			res := secretproof.Run(ctx, proofClient, p.data, []secretproof.Prover{prover})[0]
			if !res.Passed() {
				fmt.Fprintf(r.out, "    FAIL  %s: %s: %v\n", p.label, res.Prover, res.Err)
				failures = append(failures, fmt.Errorf("%s/%s: %s: %w", obj.Namespace, obj.Name, p.label, res.Err))
				continue
			}
			fmt.Fprintf(r.out, "    pass  %s: %s: %s\n", p.label, res.Prover, res.Detail)
		}
		if err := errors.Join(failures...); err != nil {
			return err
		}
		if err := r.showConsumersRolled(ctx, c, obj, secretdata.ContentHash(after.Data)); err != nil {
			return fmt.Errorf("AppRegistration %s/%s: %w", obj.Namespace, obj.Name, err)
		}
		fmt.Fprintf(r.out, "  %s stays valid for %s; the operator removes it then.\n\n", oldKeyID, keepPreviousOf(obj))
		rotated++
	}
	if rotated > 0 {
		fmt.Fprintf(r.out, "PASS: %d client secret rotation(s), old and new secrets both sign in during the overlap.\n", rotated)
	}
	return nil
}

// showConsumersRolled waits until the Deployments among obj's consumers carry hash, the content
// hash of its rotated Secret, on their pod templates, and prints the change for each. The control
// plane of the demo runs no pods, so the roll itself is left to the imagination.
func (r *runner) showConsumersRolled(ctx context.Context, c client.Client, obj entrav1alpha1.AppRegistration, hash string) error {
	for _, consumer := range obj.Spec.Secret.Consumers {
		if consumer.Kind != entrav1alpha1.ConsumerDeployment {
			continue
		}
		key := client.ObjectKey{Namespace: obj.Namespace, Name: consumer.Name}
		var was string
		if rec := slices.IndexFunc(obj.Status.Consumers, func(s entrav1alpha1.ConsumerStatus) bool {
			return s.Kind == consumer.Kind && s.Name == consumer.Name
		}); rec >= 0 {
			was = obj.Status.Consumers[rec].SecretHash
		}
		err := poll(ctx, r.cfg.ReadyTimeout, r.manager, func() (bool, error) {
			d := &appsv1.Deployment{}
			if err := c.Get(ctx, key, d); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return d.Spec.Template.Annotations[secretdata.AnnotationContentHash] == hash, nil
		})
		if err != nil {
			return fmt.Errorf("the pod template of Deployment %s does not carry the rotated Secret's content hash: %w", key, err)
		}
		fmt.Fprintf(r.out, "  Deployment %s: pod template annotation %s %s -> %s; its pods roll to read the new secret.\n",
			key, secretdata.AnnotationContentHash, short(was), short(hash))
	}
	return nil
}

// short is the first 12 hex digits of a hash, as a reader compares them.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	if hash == "" {
		return "(none)"
	}
	return hash
}

// waitForNewClientSecret waits until the Secret holds, under key, a client secret other than
// oldKeyID, or the manager exits.
func waitForNewClientSecret(ctx context.Context, c client.Client, manager *child, secretKey client.ObjectKey, key, oldKeyID string, timeout time.Duration) (*corev1.Secret, error) {
	var secret *corev1.Secret
	err := poll(ctx, timeout, manager, func() (bool, error) {
		secret = &corev1.Secret{}
		if err := c.Get(ctx, secretKey, secret); err != nil {
			return false, fmt.Errorf("reading Secret %s: %w", secretKey, err)
		}
		id := secret.Annotations[secretdata.AnnotationClientSecretKeyID]
		return id != "" && id != oldKeyID && len(secret.Data[key]) > 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the Secret still holds client secret %s: %w", oldKeyID, err)
	}
	return secret, nil
}

// keepPreviousOf is how long the replaced secret stays valid, as the spec (defaulted) says.
func keepPreviousOf(obj entrav1alpha1.AppRegistration) string {
	if c := obj.Spec.Credentials; c != nil && c.ClientSecret != nil && c.ClientSecret.KeepPrevious != nil {
		return c.ClientSecret.KeepPrevious.Duration.String()
	}
	return "keepPrevious"
}
