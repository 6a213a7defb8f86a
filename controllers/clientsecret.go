package controllers

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/rotation"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// personalAccountSecretLimit is how many client secrets Entra lets an application that admits
// personal Microsoft accounts hold. Rotation fits: the current one and the previous one.
const personalAccountSecretLimit = 2

// ensureClientSecret keeps the client secret the spec declares: added when missing, renewed
// renewBefore its end, the previous one removed keepPrevious after, and every one the operator
// made removed when none is declared. Client secrets the operator did not make are left alone.
func (r *AppRegistrationReconciler) ensureClientSecret(ctx context.Context, s *scope) (time.Time, error) {
	spec := declaredCredentials(s).ClientSecret
	creds := rotationCredentials(s.app.PasswordCredentials, func(p graph.PasswordCredential) rotation.Credential {
		return rotation.Credential{KeyID: p.KeyID, DisplayName: p.DisplayName, Start: p.Start, End: p.End}
	})
	if idle(s, spec != nil, creds, metrics.KindClientSecret, func(cs *entrav1alpha1.CredentialsStatus) { cs.ClientSecret = nil }) {
		s.clientSecret = nil
		return time.Time{}, nil
	}
	k := credentialKind{
		name: "client secret", metric: metrics.KindClientSecret,
		status: &credentialsStatus(s).ClientSecret, rotatable: true,
		in: rotation.Input{Declared: spec != nil, Credentials: creds},
		remove: func(ctx context.Context, removals []rotation.Removal) error {
			for _, rm := range removals {
				if err := s.graph.RemovePassword(ctx, s.app, rm.KeyID); err != nil && !isGone(err) {
					return err
				}
			}
			return nil
		},
		add: func(ctx context.Context, displayName string) (rotation.Credential, error) {
			pc, value, err := s.graph.AddPassword(ctx, s.app, displayName, s.now.Add(durationOf(spec.ValidFor)))
			if err != nil {
				return rotation.Credential{}, err
			}
			s.app.PasswordCredentials = append(s.app.PasswordCredentials, pc)
			s.clientSecret = &secretdata.ClientSecret{KeyID: pc.KeyID, Value: value.Reveal()}
			return rotation.Credential{KeyID: pc.KeyID, DisplayName: pc.DisplayName, Start: pc.Start, End: pc.End}, nil
		},
	}
	k.describe = func(rec *entrav1alpha1.CredentialRecord) {
		if p, ok := passwordByKeyID(s.app.PasswordCredentials, rec.KeyID); ok {
			rec.Hint = p.Hint
		}
	}
	if spec != nil {
		k.in.Policy = rotationPolicy(spec.Rotation)
		if entrav1alpha1.SignInAudience(s.app.SignInAudience).IncludesPersonalAccounts() {
			k.in.Limit = personalAccountSecretLimit
		}
	}
	k.answered = func(request string) { s.clientSecret.RotationRequest = request }
	if pub := s.clientSecret; pub != nil {
		k.secretKeyID, k.handled = pub.KeyID, pub.RotationRequest
		// The Secret holds the credential only if its value is that credential's: Graph's hint is its
		// first characters. A value edited by hand is replaced, not trusted.
		if p, ok := passwordByKeyID(s.app.PasswordCredentials, pub.KeyID); ok && p.Hint != "" && strings.HasPrefix(pub.Value, p.Hint) {
			k.in.Published = p.KeyID
		}
	}
	wake, err := r.rotate(ctx, s, k)
	if spec == nil {
		s.clientSecret = nil
	}
	return wake, err
}

// publishedClientSecret reads the client secret the Secret holds, under the key of the format the
// Secret was written in, and the key ID it records.
func publishedClientSecret(secret *corev1.Secret) *secretdata.ClientSecret {
	key, _, _ := secretdata.CredentialKeys(secretdata.FormatOf(secret.Annotations))
	value := string(secret.Data[key])
	keyID := secret.Annotations[secretdata.AnnotationClientSecretKeyID]
	if key == "" || value == "" || keyID == "" {
		return nil
	}
	return &secretdata.ClientSecret{KeyID: keyID, Value: value, RotationRequest: secret.Annotations[secretdata.AnnotationClientSecretRotation]}
}

func passwordByKeyID(list []graph.PasswordCredential, keyID string) (graph.PasswordCredential, bool) {
	for _, p := range list {
		if strings.EqualFold(p.KeyID, keyID) {
			return p, true
		}
	}
	return graph.PasswordCredential{}, false
}

// isGone reports whether Graph answered that a credential being removed is already gone, which is
// what removing it was for.
func isGone(err error) bool { return graph.KindOf(err) == graph.KindNotFound }
