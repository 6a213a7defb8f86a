package controllers

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/rotation"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// defaultRSABits is the size of a generated RSA key when the spec names none.
const defaultRSABits = 2048

// ensureCertificate keeps the certificate credential the spec declares. A generated certificate
// is rotated like a client secret. A referenced one (a kubernetes.io/tls Secret, as cert-manager
// writes) is registered and followed: when that Secret holds a renewed certificate, the new one is
// added and published, and the old one removed after keepPrevious.
func (r *AppRegistrationReconciler) ensureCertificate(ctx context.Context, s *scope) (time.Time, error) {
	spec := declaredCredentials(s).Certificate
	creds := rotationCredentials(s.app.KeyCredentials, func(kc graph.KeyCredential) rotation.Credential {
		return rotation.Credential{KeyID: kc.KeyID, DisplayName: kc.DisplayName, Start: kc.Start, End: kc.End}
	})
	if idle(s, spec != nil, creds, metrics.KindCertificate, func(cs *entrav1alpha1.CredentialsStatus) { cs.Certificate = nil }) {
		s.certificate = nil
		return time.Time{}, nil
	}

	var referenced *certificate.Pair
	if spec != nil && spec.SecretRef != nil {
		pair, err := r.referencedCertificate(ctx, s, spec.SecretRef.Name)
		if err != nil {
			return time.Time{}, err
		}
		referenced = &pair
	}
	published, publishedPair := r.publishedKey(s)
	w := &keyWriter{r: r, s: s, proof: r.proofKey(s, published, publishedPair)}
	k := credentialKind{
		name: "certificate", metric: metrics.KindCertificate,
		status: &credentialsStatus(s).Certificate,
		in:     rotation.Input{Declared: spec != nil, Credentials: creds, Published: published},
		remove: w.remove,
		add: func(ctx context.Context, displayName string) (rotation.Credential, error) {
			pair := referenced
			if pair == nil {
				generated, err := generateCertificate(s, spec.Generate)
				if err != nil {
					return rotation.Credential{}, err
				}
				pair = &generated
			}
			return w.add(ctx, displayName, *pair)
		},
		describe: func(rec *entrav1alpha1.CredentialRecord) {
			if kc, ok := keyByKeyID(s.app.KeyCredentials, rec.KeyID); ok && len(kc.Key) > 0 {
				rec.Thumbprint = certificate.Thumbprint(kc.Key)
			}
		},
	}
	k.answered = func(request string) { s.certificate.RotationRequest = request }
	if pub := s.certificate; pub != nil {
		k.secretKeyID, k.handled = pub.KeyID, pub.RotationRequest
	}
	switch {
	case spec == nil:
	case spec.Generate != nil:
		k.in.Policy, k.rotatable = rotationPolicy(spec.Generate.Rotation), true
		if publishedPair != nil {
			keyType, bits := publishedPair.KeyType()
			wantType, wantBits := generatedKeyType(spec.Generate)
			k.in.Stale = keyType != wantType || bits != wantBits
		}
	case spec.SecretRef != nil:
		// The issuer renews it; the operator follows. Renewal is due when the referenced
		// certificate is not the published one.
		k.in.Policy = rotation.Policy{KeepPrevious: durationOf(spec.SecretRef.KeepPrevious)}
		k.in.Stale = publishedPair != nil && publishedPair.Thumbprint() != referenced.Thumbprint()
	}
	wake, err := r.rotate(ctx, s, k)
	if spec == nil {
		s.certificate = nil
	}
	return wake, err
}

// keyWriter changes the application's certificates the ways Graph allows. With the key of a
// current certificate of the application in hand (the one the Secret holds), it calls addKey and
// removeKey with a proof signed by it: a write of one certificate, no read-modify-write race with
// anyone. Without one (the first certificate, or after the Secret lost its key), it writes the whole
// keyCredentials collection, sending back every certificate it keeps, the operator's or not.
type keyWriter struct {
	r *AppRegistrationReconciler
	s *scope
	// proof is a current certificate of the application with its key, nil when none is held.
	proof *certificate.Pair
}

func (w *keyWriter) add(ctx context.Context, displayName string, pair certificate.Pair) (rotation.Credential, error) {
	kc := graph.KeyCredential{
		KeyID: uuid.NewString(), DisplayName: displayName, Type: graph.KeyTypeX509Certificate, Usage: graph.KeyUsageVerify,
		Key: pair.Leaf.Raw, Start: pair.Leaf.NotBefore, End: pair.Leaf.NotAfter,
	}
	app := w.s.app
	if w.proof != nil {
		proof, err := w.proof.Proof(app.ObjectID, w.s.now)
		if err != nil {
			return rotation.Credential{}, err
		}
		added, err := w.s.graph.AddKey(ctx, app, kc, proof)
		if err != nil {
			return rotation.Credential{}, err
		}
		kc = added
	} else {
		all := append(slices.Clone(app.KeyCredentials), kc)
		if err := w.replace(ctx, all); err != nil {
			return rotation.Credential{}, err
		}
	}
	w.s.app.KeyCredentials = append(w.s.app.KeyCredentials, kc)
	w.s.certificate = certificateData(kc.KeyID, pair)
	return rotation.Credential{KeyID: kc.KeyID, DisplayName: kc.DisplayName, Start: kc.Start, End: kc.End}, nil
}

func (w *keyWriter) remove(ctx context.Context, removals []rotation.Removal) error {
	app := w.s.app
	if w.proof == nil {
		keep := slices.DeleteFunc(slices.Clone(app.KeyCredentials), func(kc graph.KeyCredential) bool { return removed(removals, kc.KeyID) })
		if err := w.replace(ctx, keep); err != nil {
			return err
		}
		w.s.app.KeyCredentials = keep
		return nil
	}
	// The certificate that signs the proofs goes last, so each proof is signed by one still there.
	proofThumb := w.proof.Thumbprint()
	ordered := slices.Clone(removals)
	slices.SortStableFunc(ordered, func(a, b rotation.Removal) int {
		return boolOrder(w.signs(a.KeyID, proofThumb)) - boolOrder(w.signs(b.KeyID, proofThumb))
	})
	for _, rm := range ordered {
		proof, err := w.proof.Proof(app.ObjectID, w.s.now)
		if err != nil {
			return err
		}
		if err := w.s.graph.RemoveKey(ctx, app, rm.KeyID, proof); err != nil && !isGone(err) {
			return err
		}
		w.s.app.KeyCredentials = slices.DeleteFunc(w.s.app.KeyCredentials, func(kc graph.KeyCredential) bool { return strings.EqualFold(kc.KeyID, rm.KeyID) })
	}
	return nil
}

// replace writes the whole collection; every certificate in it must be there to send back.
func (w *keyWriter) replace(ctx context.Context, keys []graph.KeyCredential) error {
	for _, kc := range keys {
		if len(kc.Key) == 0 {
			return fmt.Errorf("writing the application's certificates: Graph did not return certificate %s, which must be sent back to keep it", kc.KeyID)
		}
	}
	return w.s.graph.ReplaceKeyCredentials(ctx, w.s.app, keys)
}

// signs reports whether the key credential with keyID is the certificate with thumbprint.
func (w *keyWriter) signs(keyID, thumbprint string) bool {
	kc, ok := keyByKeyID(w.s.app.KeyCredentials, keyID)
	return ok && len(kc.Key) > 0 && certificate.Thumbprint(kc.Key) == thumbprint
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

func removed(removals []rotation.Removal, keyID string) bool {
	return slices.ContainsFunc(removals, func(rm rotation.Removal) bool { return strings.EqualFold(rm.KeyID, keyID) })
}

// publishedKey returns the key ID of the certificate the Secret holds, if Entra has that very
// certificate under that key ID, with the certificate and its key.
func (r *AppRegistrationReconciler) publishedKey(s *scope) (string, *certificate.Pair) {
	pub := s.certificate
	if pub == nil {
		return "", nil
	}
	pair, err := certificate.Parse(pub.CertPEM, pub.KeyPEM)
	if err != nil {
		return "", nil
	}
	kc, ok := keyByKeyID(s.app.KeyCredentials, pub.KeyID)
	if !ok || !bytes.Equal(kc.Key, pair.Leaf.Raw) {
		return "", nil
	}
	return kc.KeyID, &pair
}

// proofKey returns the published certificate when Entra holds it as a current certificate that
// verifies, so it may sign addKey and removeKey proofs.
func (r *AppRegistrationReconciler) proofKey(s *scope, published string, pair *certificate.Pair) *certificate.Pair {
	if published == "" || pair == nil {
		return nil
	}
	kc, _ := keyByKeyID(s.app.KeyCredentials, published)
	if kc.Usage != graph.KeyUsageVerify || s.now.Before(kc.Start) || !s.now.Before(kc.End) {
		return nil
	}
	return pair
}

// referencedCertificate reads the certificate and key of the kubernetes.io/tls Secret the spec
// names.
func (r *AppRegistrationReconciler) referencedCertificate(ctx context.Context, s *scope, name string) (certificate.Pair, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: s.obj.Namespace, Name: name}
	err := r.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		// Not in the cache: it lacks SecretLabel. Read it from the API server; its renewals are then
		// noticed at each resync instead of at once.
		if err = r.apiReader().Get(ctx, key, secret); err == nil {
			s.credentialNotes = append(s.credentialNotes, fmt.Sprintf(
				"label Secret %s with %s so its renewals reach Entra at once (until then at each resync)", name, SecretLabel))
		}
	}
	if apierrors.IsNotFound(err) {
		return certificate.Pair{}, &certificateUnavailableError{name: name, why: "it does not exist"}
	}
	if err != nil {
		return certificate.Pair{}, fmt.Errorf("reading the certificate's Secret %s: %w", name, err)
	}
	pair, err := certificate.Parse(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return certificate.Pair{}, &certificateUnavailableError{name: name, why: err.Error()}
	}
	if !s.now.Before(pair.Leaf.NotAfter) {
		return certificate.Pair{}, &certificateUnavailableError{name: name,
			why: "its certificate expired at " + pair.Leaf.NotAfter.UTC().Format(time.RFC3339)}
	}
	return pair, nil
}

// generateCertificate makes a new self-signed certificate as the spec asks.
func generateCertificate(s *scope, spec *entrav1alpha1.GeneratedCertificate) (certificate.Pair, error) {
	keyType, bits := generatedKeyType(spec)
	return certificate.Generate(keyType, bits, "entra-sso-operator "+s.obj.Namespace+"/"+s.obj.Name, s.now, durationOf(spec.ValidFor))
}

// generatedKeyType is the key the spec asks for, with its defaults.
func generatedKeyType(spec *entrav1alpha1.GeneratedCertificate) (string, int) {
	if spec.KeyType == entrav1alpha1.CertificateKeyECDSA {
		return certificate.KeyTypeECDSA, 256
	}
	if spec.KeySize == 0 {
		return certificate.KeyTypeRSA, defaultRSABits
	}
	return certificate.KeyTypeRSA, int(spec.KeySize)
}

// certificateData is a certificate in the forms the Secret carries.
func certificateData(keyID string, pair certificate.Pair) *secretdata.Certificate {
	return &secretdata.Certificate{KeyID: keyID, CertPEM: pair.CertPEM, KeyPEM: pair.KeyPEM,
		CombinedPEM: pair.CombinedPEM(), Thumbprint: pair.Thumbprint()}
}

// publishedCertificate reads the certificate the Secret holds, under the keys of the format the
// Secret was written in, and the key ID it records.
func publishedCertificate(secret *corev1.Secret) *secretdata.Certificate {
	_, certKey, privateKey := secretdata.CredentialKeys(secretdata.FormatOf(secret.Annotations))
	keyID := secret.Annotations[secretdata.AnnotationCertificateKeyID]
	certPEM, keyPEM := secret.Data[certKey], secret.Data[privateKey]
	if certKey == "" || keyID == "" || len(certPEM) == 0 || len(keyPEM) == 0 {
		return nil
	}
	request := secret.Annotations[secretdata.AnnotationCertificateRotation]
	pair, err := certificate.Parse(certPEM, keyPEM)
	if err != nil {
		// Kept as it is, so a Secret edited by hand is not emptied; publishedKey finds it is not
		// the registered certificate and a new one replaces it.
		return &secretdata.Certificate{KeyID: keyID, CertPEM: certPEM, KeyPEM: keyPEM, RotationRequest: request,
			CombinedPEM: append(append([]byte{}, keyPEM...), certPEM...)}
	}
	out := certificateData(keyID, pair)
	out.RotationRequest = request
	return out
}

func keyByKeyID(list []graph.KeyCredential, keyID string) (graph.KeyCredential, bool) {
	for _, kc := range list {
		if strings.EqualFold(kc.KeyID, keyID) {
			return kc, true
		}
	}
	return graph.KeyCredential{}, false
}
