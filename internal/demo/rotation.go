package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// rotationPollInterval is how often the demo looks at the Secret while a rotation goes on.
const rotationPollInterval = 250 * time.Millisecond

// clientSecretProof is the prover that signs in with AZURE_CLIENT_SECRET.
var clientSecretProof = func() secretproof.Prover {
	for _, p := range secretproof.Provers {
		for _, k := range p.Needs {
			if k == secretdata.KeyClientSecret {
				return p
			}
		}
	}
	panic("demo: no prover signs in with " + secretdata.KeyClientSecret)
}()

// demonstrateRotation rotates the client secret of every AppRegistration whose Secret holds one,
// the way an administrator would (the rotate annotation), and proves that the new secret signs in
// and that the old one still does during its overlap: a rotation nobody using the Secret notices.
func (r *runner) demonstrateRotation(ctx context.Context, kc kubectl, c client.Client, proofClient *http.Client, ready []readiness) error {
	rotated := 0
	for _, rd := range ready {
		obj := rd.obj
		secretName := sampleReport{obj: obj}.secretName()
		before := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: obj.Namespace, Name: secretName}, before); err != nil {
			return fmt.Errorf("reading Secret %s/%s: %w", obj.Namespace, secretName, err)
		}
		oldKeyID := before.Annotations[secretdata.AnnotationClientSecretKeyID]
		if len(before.Data[secretdata.KeyClientSecret]) == 0 || oldKeyID == "" {
			continue
		}
		fmt.Fprintf(r.out, "Rotating the client secret of AppRegistration %s/%s (key %s), as an administrator would:\n", obj.Namespace, obj.Name, oldKeyID)
		request := time.Now().UTC().Format(time.RFC3339)
		if err := r.kubectlStep(ctx, kc, "annotate", "appregistration", obj.Name, "--namespace", obj.Namespace,
			entrav1alpha1.RotateAnnotation+"="+request, "--overwrite"); err != nil {
			return err
		}
		after, err := waitForNewClientSecret(ctx, c, client.ObjectKey{Namespace: obj.Namespace, Name: secretName}, oldKeyID, r.cfg.ReadyTimeout)
		if err != nil {
			return fmt.Errorf("AppRegistration %s/%s: %w", obj.Namespace, obj.Name, err)
		}
		newKeyID := after.Annotations[secretdata.AnnotationClientSecretKeyID]
		old := maps.Clone(after.Data)
		old[secretdata.KeyClientSecret] = before.Data[secretdata.KeyClientSecret]
		fmt.Fprintf(r.out, "  Secret %s/%s now holds client secret %s; proofs from its keys:\n", obj.Namespace, secretName, newKeyID)
		var failures []error
		for _, p := range []struct {
			label string
			data  map[string][]byte
		}{{"new secret " + newKeyID, after.Data}, {"old secret " + oldKeyID + " (its overlap)", old}} {
			res := secretproof.Run(ctx, proofClient, p.data, []secretproof.Prover{clientSecretProof})[0]
			if !res.Passed() {
				fmt.Fprintf(r.out, "    FAIL  %s: %v\n", p.label, res.Err)
				failures = append(failures, fmt.Errorf("%s/%s: %s: %w", obj.Namespace, obj.Name, p.label, res.Err))
				continue
			}
			fmt.Fprintf(r.out, "    pass  %s: %s\n", p.label, res.Detail)
		}
		if err := errors.Join(failures...); err != nil {
			return err
		}
		fmt.Fprintf(r.out, "  %s stays valid for %s; the operator removes it then.\n\n", oldKeyID, keepPreviousOf(obj))
		rotated++
	}
	if rotated > 0 {
		fmt.Fprintf(r.out, "PASS: %d client secret rotation(s), old and new secrets both sign in during the overlap.\n", rotated)
	}
	return nil
}

// waitForNewClientSecret waits until the Secret holds a client secret other than oldKeyID.
func waitForNewClientSecret(ctx context.Context, c client.Client, key client.ObjectKey, oldKeyID string, timeout time.Duration) (*corev1.Secret, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(rotationPollInterval)
	defer tick.Stop()
	for {
		secret := &corev1.Secret{}
		if err := c.Get(ctx, key, secret); err != nil {
			return nil, fmt.Errorf("reading Secret %s: %w", key, err)
		}
		if id := secret.Annotations[secretdata.AnnotationClientSecretKeyID]; id != "" && id != oldKeyID && len(secret.Data[secretdata.KeyClientSecret]) > 0 {
			return secret, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("the Secret still holds client secret %s %s after the rotate annotation", oldKeyID, timeout)
		case <-tick.C:
		}
	}
}

// keepPreviousOf is how long the replaced secret stays valid, as the spec (defaulted) says.
func keepPreviousOf(obj entrav1alpha1.AppRegistration) string {
	if c := obj.Spec.Credentials; c != nil && c.ClientSecret != nil && c.ClientSecret.KeepPrevious != nil {
		return c.ClientSecret.KeepPrevious.Duration.String()
	}
	return "keepPrevious"
}
