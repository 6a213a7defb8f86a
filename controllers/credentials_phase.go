package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/rotation"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// ensureCredentials makes the application's client secret, certificate and federated credentials
// what the spec declares, rotating the first two before they expire, and asks to be run again at
// the next renewal or end of an overlap.
//
// The three kinds are independent: a policy refusing the client secret does not keep the
// certificate from renewing. The phase reports the first failure; the others are logged.
func (r *AppRegistrationReconciler) ensureCredentials(ctx context.Context, s *scope) (ctrl.Result, error) {
	if err := r.loadPublishedCredentials(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if c := s.obj.Spec.Credentials; c != nil && (c.ClientSecret != nil || c.Certificate != nil) {
		// A credential whose Secret cannot be written would be made only to be lost.
		if _, err := secretdata.RenderFormat(secretInput(s)); err != nil {
			return ctrl.Result{}, err
		}
	}
	var wake time.Time
	var errs []error
	for _, step := range []func(context.Context, *scope) (time.Time, error){r.ensureClientSecret, r.ensureCertificate, r.ensureFederated} {
		at, err := step(ctx, s)
		if errors.Is(err, graph.ErrNotFound) && s.createdApp {
			// Created moments ago in this reconcile: the replica that answered has not seen it.
			err = errReplicating("the new application, before its credentials can be added")
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
	}
	r.tidyCredentialStatus(s)
	if len(errs) > 0 {
		for _, err := range errs[1:] {
			log.FromContext(ctx).Info("Another credential failed too", "error", err.Error())
		}
		return ctrl.Result{}, errs[0]
	}
	if wake.IsZero() {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: wake.Sub(s.now)}, nil
}

// credentialsReadyMessage is CredentialsReady's message when the phase succeeded.
func credentialsReadyMessage(s *scope) string {
	if len(s.credentialNotes) == 0 {
		return "No credentials declared"
	}
	return strings.Join(s.credentialNotes, "; ")
}

// loadPublishedCredentials reads what the Secret holds: the credentials a workload may be using.
// When the Secret target was just renamed, the Secret written under the old name still holds them.
func (r *AppRegistrationReconciler) loadPublishedCredentials(ctx context.Context, s *scope) error {
	secret, err := r.outputSecret(ctx, s)
	if err != nil {
		return err
	}
	if old := s.obj.Status.SecretName; secret == nil && old != "" && old != s.obj.SecretName() {
		// A Secret of the old name that this object does not control holds nothing of ours.
		var conflict *secretConflictError
		if secret, err = r.ownedSecret(ctx, s.obj, old); errors.As(err, &conflict) {
			secret = nil
		} else if err != nil {
			return err
		}
	}
	if secret == nil {
		return nil
	}
	s.clientSecret = publishedClientSecret(secret)
	s.certificate = publishedCertificate(secret)
	return nil
}

// idle reports whether a kind of credential is neither declared nor left on the application, and
// then forgets it: nothing to rotate, no series, no status.
func idle(s *scope, declared bool, creds []rotation.Credential, metric string, forget func(*entrav1alpha1.CredentialsStatus)) bool {
	if declared || slices.ContainsFunc(creds, rotation.Credential.Marked) {
		return false
	}
	metrics.ForgetCredential(s.obj.Namespace, s.obj.Name, metric)
	if cs := s.obj.Status.Credentials; cs != nil {
		forget(cs)
	}
	return true
}

// rotationCredentials views Graph's credentials of one kind as the rotation policy sees them.
func rotationCredentials[T any](list []T, view func(T) rotation.Credential) []rotation.Credential {
	out := make([]rotation.Credential, 0, len(list))
	for _, c := range list {
		out = append(out, view(c))
	}
	return out
}

// credentialKind is what differs between client secrets and certificates. rotate does the rest:
// decide, remove, add with an intent on record, publish, report.
type credentialKind struct {
	// name says what it is in messages and events ("client secret").
	name string
	// metric is the kind label of the credential metrics.
	metric string
	// status is where the kind's status lives.
	status **entrav1alpha1.CredentialStatus
	// in is the rotation input, but for Now, Intent and Rotate, which rotate fills in.
	in rotation.Input
	// secretKeyID is the key ID the Secret names, verified or not, to recognize replication lag.
	secretKeyID string
	// handled is the rotate annotation's value the Secret records as answered.
	handled string
	// answered records, on the credential just added, the rotate annotation's value it answers,
	// so the Secret carries it from the same write as the value.
	answered func(request string)
	// rotatable says the rotate annotation applies (not to a certificate someone else renews).
	rotatable bool
	// remove removes marked credentials from the application.
	remove func(ctx context.Context, removals []rotation.Removal) error
	// add adds a new credential marked with displayName, puts its value where the Secret is
	// rendered from, and returns it as Graph reports it.
	add func(ctx context.Context, displayName string) (rotation.Credential, error)
	// describe fills in what status shows of a credential besides its key ID and times.
	describe func(rec *entrav1alpha1.CredentialRecord)
}

// rotate runs the rotation policy for one kind of credential and carries out its plan. It returns
// when the plan next changes.
func (r *AppRegistrationReconciler) rotate(ctx context.Context, s *scope, k credentialKind) (time.Time, error) {
	st := *k.status
	if st == nil {
		st = &entrav1alpha1.CredentialStatus{}
		*k.status = st
	}
	if r.lagging(s, k, st) {
		return time.Time{}, errReplicating("the " + k.name + " added moments ago")
	}
	request := s.obj.Annotations[entrav1alpha1.RotateAnnotation]
	in := k.in
	in.Now, in.Intent = s.now, st.PendingNonce
	// Whether a request was answered is read from the Secret, read afresh from the API server and
	// written with the credential; status may come from a cache that has not seen the last write.
	in.Rotate = k.rotatable && request != "" && request != k.handled
	plan := rotation.Decide(in)

	if err := r.removeCredentials(ctx, s, k, plan.Remove); err != nil {
		return time.Time{}, err
	}
	in.Credentials = withoutRemoved(in.Credentials, plan.Remove)
	if plan.OverLimit {
		return time.Time{}, &credentialLimitError{kind: k.name, limit: in.Limit}
	}
	if plan.Add {
		replaced := plan.Current
		added, err := r.addCredential(ctx, s, k, st, request)
		if err != nil {
			return time.Time{}, err
		}
		st.RotationRequest = request
		in.Credentials, in.Published, in.Intent, in.Stale, in.Rotate = append(in.Credentials, added), added.KeyID, "", false, false
		plan = rotation.Decide(in)
		r.reportAdd(s, k, added, replaced, plan)
	}
	if st.PendingNonce != "" && !carriesUnpublished(in.Credentials, st.PendingNonce, in.Published) {
		st.PendingNonce = "" // the add it recorded was published or its orphan removed
	}
	r.recordCredential(s, k, st, plan, request)
	return plan.WakeAt, nil
}

// lagging reports whether the credential the Secret names is missing from Entra's answer only
// because it was added moments ago and the replica that answered has not seen it yet. Status is
// consulted for when it was added; at worst a wiped status means a new credential is added.
func (r *AppRegistrationReconciler) lagging(s *scope, k credentialKind, st *entrav1alpha1.CredentialStatus) bool {
	if k.secretKeyID == "" || st.Current == nil || st.Current.AddedAt == nil || !strings.EqualFold(st.Current.KeyID, k.secretKeyID) {
		return false
	}
	if slices.ContainsFunc(k.in.Credentials, func(c rotation.Credential) bool { return strings.EqualFold(c.KeyID, k.secretKeyID) }) {
		return false
	}
	return s.now.Before(st.Current.AddedAt.Add(r.replicationWindow()))
}

// removeCredentials removes what the plan says, with an event for each.
func (r *AppRegistrationReconciler) removeCredentials(ctx context.Context, s *scope, k credentialKind, removals []rotation.Removal) error {
	if len(removals) == 0 {
		return nil
	}
	if err := k.remove(ctx, removals); err != nil {
		return err
	}
	for _, rm := range removals {
		r.event(s.obj, corev1.EventTypeNormal, "CredentialRemoved", "RemoveCredential",
			"Removed %s %s from application %s: %s", k.name, rm.KeyID, s.app.AppID, rm.Reason)
		s.changes = append(s.changes, fmt.Sprintf("removed %s %s (%s)", k.name, rm.KeyID, rm.Reason))
	}
	return nil
}

// addCredential adds a credential with its intent on record first: the nonce goes to status before
// Graph sees the add and into the new credential's display name, so that if the operator dies
// before the Secret holds the value, the next reconcile finds the orphan and removes it. The new
// value is written to the Secret at once.
func (r *AppRegistrationReconciler) addCredential(ctx context.Context, s *scope, k credentialKind, st *entrav1alpha1.CredentialStatus, request string) (rotation.Credential, error) {
	nonce := rotation.NewNonce()
	st.PendingNonce = nonce
	if err := r.patchStatus(ctx, s); err != nil {
		return rotation.Credential{}, fmt.Errorf("recording the intent to add a %s: %w", k.name, err)
	}
	added, err := k.add(ctx, rotation.Mark(nonce, s.now))
	if err != nil {
		if !mayHaveApplied(err) {
			st.PendingNonce = ""
		}
		return rotation.Credential{}, err
	}
	k.answered(request)
	if err := r.writeSecret(ctx, s); err != nil {
		// The intent stays on record: the next reconcile removes the credential nobody holds.
		return rotation.Credential{}, fmt.Errorf("writing the new %s to the Secret: %w", k.name, err)
	}
	st.PendingNonce = ""
	return added, nil
}

// mayHaveApplied reports whether a failed write may still have taken effect in Entra: Graph did not
// answer (a timeout, a dropped connection) or answered with something unexpected. A refusal (4xx)
// changed nothing.
func mayHaveApplied(err error) bool {
	k := graph.KindOf(err)
	return k == graph.KindUnavailable || k == graph.KindUnknown
}

// reportAdd records an event for a new credential: created, or rotated with the overlap of the one
// it replaces. Never with a value.
func (r *AppRegistrationReconciler) reportAdd(s *scope, k credentialKind, added rotation.Credential, replaced *rotation.Credential, plan rotation.Plan) {
	if replaced == nil {
		r.event(s.obj, corev1.EventTypeNormal, "CredentialCreated", "AddCredential",
			"Added %s %s to application %s and wrote it to Secret %s", k.name, added.KeyID, s.app.AppID, s.obj.SecretName())
		s.changes = append(s.changes, "added "+k.name+" "+added.KeyID)
		return
	}
	until := "its end"
	for _, p := range plan.Previous {
		if strings.EqualFold(p.KeyID, replaced.KeyID) && !p.RemoveAt.IsZero() {
			until = p.RemoveAt.UTC().Format(time.RFC3339)
		}
	}
	r.event(s.obj, corev1.EventTypeNormal, "CredentialRotated", "RotateCredential",
		"Rotated the %s of application %s: %s replaces %s in Secret %s; %s stays valid until %s",
		k.name, s.app.AppID, added.KeyID, replaced.KeyID, s.obj.SecretName(), replaced.KeyID, until)
	s.changes = append(s.changes, fmt.Sprintf("rotated %s %s -> %s", k.name, replaced.KeyID, added.KeyID))
}

// recordCredential writes the plan's outcome to status, the metrics and CredentialsReady's message.
func (r *AppRegistrationReconciler) recordCredential(s *scope, k credentialKind, st *entrav1alpha1.CredentialStatus, plan rotation.Plan, request string) {
	ns, name := s.obj.Namespace, s.obj.Name
	st.Current, st.Previous = nil, nil
	if c := plan.Current; c != nil {
		st.Current = r.credentialRecord(k, *c)
		st.Current.RenewalTime = optionalTime(plan.RenewAt)
		metrics.SetCredential(ns, name, k.metric, c.End, plan.RenewAt)
		note := fmt.Sprintf("%s %s valid until %s", capitalized(k.name), c.KeyID, c.End.UTC().Format(time.RFC3339))
		if !plan.RenewAt.IsZero() {
			note += ", renewed at " + plan.RenewAt.UTC().Format(time.RFC3339)
		}
		if plan.Deferred {
			note += fmt.Sprintf("; a rotation (%q) waits for the previous one's overlap to end", request)
		}
		s.credentialNotes = append(s.credentialNotes, note)
	} else {
		metrics.ForgetCredential(ns, name, k.metric)
	}
	for _, p := range plan.Previous {
		rec := r.credentialRecord(k, p.Credential)
		rec.RemovalTime = optionalTime(p.RemoveAt)
		st.Previous = append(st.Previous, *rec)
	}
	// Status holds a bounded list; Entra holds the truth.
	if len(st.Previous) > maxPreviousInStatus {
		st.Previous = st.Previous[:maxPreviousInStatus]
	}
}

// maxPreviousInStatus matches the API's bound on status.credentials.*.previous.
const maxPreviousInStatus = 4

func (r *AppRegistrationReconciler) credentialRecord(k credentialKind, c rotation.Credential) *entrav1alpha1.CredentialRecord {
	rec := &entrav1alpha1.CredentialRecord{KeyID: c.KeyID, AddedAt: optionalTime(c.Added()), EndDateTime: optionalTime(c.End)}
	k.describe(rec)
	return rec
}

// tidyCredentialStatus drops the status of credential kinds that are neither declared nor left on
// the application, and the whole record when nothing is left.
func (r *AppRegistrationReconciler) tidyCredentialStatus(s *scope) {
	cs := s.obj.Status.Credentials
	if cs == nil {
		return
	}
	for _, st := range []**entrav1alpha1.CredentialStatus{&cs.ClientSecret, &cs.Certificate} {
		if v := *st; v != nil && v.Current == nil && len(v.Previous) == 0 && v.PendingNonce == "" && v.RotationRequest == "" {
			*st = nil
		}
	}
	if cs.ClientSecret == nil && cs.Certificate == nil && len(cs.Federated) == 0 {
		s.obj.Status.Credentials = nil
	}
}

// credentialsStatus returns status.credentials, creating it.
func credentialsStatus(s *scope) *entrav1alpha1.CredentialsStatus {
	if s.obj.Status.Credentials == nil {
		s.obj.Status.Credentials = &entrav1alpha1.CredentialsStatus{}
	}
	return s.obj.Status.Credentials
}

// declaredCredentials returns spec.credentials, or an empty declaration; while releasing, nothing
// is declared.
func declaredCredentials(s *scope) entrav1alpha1.Credentials {
	if s.releasing || s.obj.Spec.Credentials == nil {
		return entrav1alpha1.Credentials{}
	}
	return *s.obj.Spec.Credentials
}

// rotationPolicy turns the API's durations into the rotation package's policy.
func rotationPolicy(in entrav1alpha1.Rotation) rotation.Policy {
	return rotation.Policy{ValidFor: durationOf(in.ValidFor), RenewBefore: durationOf(in.RenewBefore), KeepPrevious: durationOf(in.KeepPrevious)}
}

func durationOf(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

func withoutRemoved(creds []rotation.Credential, removals []rotation.Removal) []rotation.Credential {
	return slices.DeleteFunc(slices.Clone(creds), func(c rotation.Credential) bool {
		return slices.ContainsFunc(removals, func(rm rotation.Removal) bool { return strings.EqualFold(rm.KeyID, c.KeyID) })
	})
}

// carriesUnpublished reports whether a credential other than the published one carries nonce.
func carriesUnpublished(creds []rotation.Credential, nonce, published string) bool {
	return slices.ContainsFunc(creds, func(c rotation.Credential) bool {
		n, _, ok := rotation.ParseMark(c.DisplayName)
		return ok && n == nonce && !strings.EqualFold(c.KeyID, published)
	})
}

func optionalTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC())
	return &mt
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
