package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/mirror"
)

// deltaRetry bounds the pause after a failed delta poll.
const deltaRetry = 30 * time.Second

// chooseReads decides where this reconcile reads the application: from Graph itself when the
// object's backstop is due or the mirror cannot answer, else from the mirror (the default of
// Graph, a mirror.Client). Without a mirror every read goes to Graph and nothing is recorded.
func (r *AppRegistrationReconciler) chooseReads(ctx context.Context, s *scope) context.Context {
	if r.Mirror == nil || !s.obj.DeletionTimestamp.IsZero() {
		return ctx
	}
	if needsVerification(s.obj, s.now, r.backstopPeriod()) || !r.Mirror.Fresh() || credentialWorkDue(s.obj, s.now) {
		s.verifying = true
		return mirror.DirectReads(ctx)
	}
	return ctx
}

// afterPhases records a verification that succeeded and gives the object its place in the queue:
// a Ready object goes last until its resync and no longer counts as new work in its namespace.
func (r *AppRegistrationReconciler) afterPhases(req ctrl.Request, s *scope, result ctrl.Result) ctrl.Result {
	if !meta.IsStatusConditionTrue(s.obj.Status.Conditions, entrav1alpha1.ConditionReady) {
		return result
	}
	if s.verifying {
		s.obj.Status.LastVerifiedTime = &metav1.Time{Time: s.now}
	}
	r.waiting.done(req.NamespacedName)
	result.Priority = new(priorityLow)
	return result
}

func (r *AppRegistrationReconciler) backstopPeriod() time.Duration {
	if r.BackstopPeriod > 0 {
		return r.BackstopPeriod
	}
	return DefaultBackstopPeriod
}

// credentialWorkDue says a reconcile may write credentials: then it reads the application from
// Graph itself, since delta query does not promise to report credential changes and never carries
// certificates' key material, which a write of keyCredentials must send back. Status only decides
// where to read; a wrong status costs a read, or makes the write refuse keys without material.
func credentialWorkDue(obj *entrav1alpha1.AppRegistration, now time.Time) bool {
	c := obj.Spec.Credentials
	if c == nil {
		return false
	}
	if c.Certificate != nil {
		// Whether the Secret's certificate is the one Entra holds is decided from the certificate's
		// key material, which only a read of the application itself returns.
		return true
	}
	var st entrav1alpha1.CredentialsStatus
	if obj.Status.Credentials != nil {
		st = *obj.Status.Credentials
	}
	rotate := obj.Annotations[entrav1alpha1.RotateAnnotation]
	due := func(declared bool, cs *entrav1alpha1.CredentialStatus) bool {
		if !declared {
			return cs != nil && (cs.Current != nil || len(cs.Previous) > 0)
		}
		if cs == nil || cs.Current == nil || cs.PendingNonce != "" || (rotate != "" && rotate != cs.RotationRequest) {
			return true
		}
		if t := cs.Current.RenewalTime; t != nil && !now.Before(t.Time) {
			return true
		}
		for _, p := range cs.Previous {
			if p.RemovalTime == nil || !now.Before(p.RemovalTime.Time) {
				return true
			}
		}
		return false
	}
	return due(c.ClientSecret != nil, st.ClientSecret) || due(c.Certificate != nil, st.Certificate)
}
