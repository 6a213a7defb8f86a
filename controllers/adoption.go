package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Adoption: an application made outside the operator has no unique name of the operator's, and
// Entra ID lets nobody give it one later (uniqueName is set at creation only). It is addressed by
// the app ID spec.adopt names, and two tags on it (api/v1alpha1: AdoptionTag, OwnerTag) stand in
// for the unique name: an administrator's approval, and the operator's mark, which every later
// read, write and delete checks, as the unique name is checked for the applications the operator
// creates. Nothing in status decides which application is managed: spec.adopt names a candidate,
// the tags in Entra ID say whether it is this object's.

// adoptionRetry is how soon a refused adoption looks again: an administrator adding the approval
// tag is the usual next step, and Entra ID sends no notice of it.
const adoptionRetry = time.Minute

// adoptionRefusedError says the application spec.adopt names may not be taken over; nothing was
// written to it.
type adoptionRefusedError struct{ appID, why string }

func (e *adoptionRefusedError) Error() string {
	return fmt.Sprintf("application %s cannot be adopted: %s", e.appID, e.why)
}

// notOwnerHint is the cure for Graph refusing the operator an adopted application.
const notOwnerHint = "If it exists, an administrator must add the operator's service principal to its owners " +
	"(the operator holds Application.ReadWrite.OwnedBy, which reaches only the applications it owns)"

// notOwner explains Graph's 403 on a write to an adopted application: almost always the operator is
// not (or no longer) one of its owners. Other errors pass through.
func notOwner(appID string, err error) error {
	if graph.KindOf(err) != graph.KindForbidden {
		return err
	}
	return &adoptionRefusedError{appID: appID, why: "Graph refused the operator a write to it. " +
		strings.TrimPrefix(notOwnerHint, "If it exists, ")}
}

// adopted says the object manages an application it adopted rather than created.
func (s *scope) adopted() bool { return s.obj.Spec.Adopt != nil }

// appKey is the key Graph serializes writes to the object's application on: the unique name, or the
// app ID of an adopted application.
func (s *scope) appKey() string {
	if s.adopted() {
		return s.app.AppID
	}
	return s.uniqueName
}

// owner is who an adopted application's tags say manages it.
type owner int

const (
	ownerNone    owner = iota // no mark: not adopted yet
	ownerThis                 // marked with this object's UID
	ownerAnother              // marked by another object, or made by the operator for one
)

func ownerOf(app graph.Application, uid types.UID) owner {
	if desired.IsUniqueName(app.UniqueName) {
		return ownerAnother
	}
	mine := entrav1alpha1.OwnerTag(uid)
	switch {
	case slices.ContainsFunc(app.Tags, func(t string) bool { return strings.EqualFold(t, mine) }):
		if slices.ContainsFunc(app.Tags, func(t string) bool { return isOwnerTag(t) && !strings.EqualFold(t, mine) }) {
			return ownerAnother
		}
		return ownerThis
	case slices.ContainsFunc(app.Tags, isOwnerTag):
		return ownerAnother
	}
	return ownerNone
}

func isOwnerTag(t string) bool {
	return len(t) > len(entrav1alpha1.OwnerTagPrefix) && strings.EqualFold(t[:len(entrav1alpha1.OwnerTagPrefix)], entrav1alpha1.OwnerTagPrefix)
}

// readAdopted reads the application spec.adopt names. The copy it returns has no unique name, so
// every write to it is keyed and addressed by its app ID and object ID alone.
func readAdopted(ctx context.Context, s *scope) (graph.Application, error) {
	appID := strings.ToLower(s.obj.Spec.Adopt.AppID)
	app, err := s.graph.GetApplicationByAppID(ctx, appID)
	if err != nil {
		return graph.Application{}, err
	}
	if !strings.EqualFold(app.AppID, appID) {
		// Graph answered an app-ID read with another application: touch nothing.
		return graph.Application{}, &statusMismatchError{field: "appId", recorded: app.AppID, actual: appID}
	}
	return app, nil
}

// ensureAdoptedApplication takes over the application spec.adopt names, if the connection's policy
// and an administrator's tag allow it, then brings it in line with the spec like any other.
func (r *AppRegistrationReconciler) ensureAdoptedApplication(ctx context.Context, s *scope, want graph.Application) (ctrl.Result, error) {
	obj, st := s.obj, &s.obj.Status
	appID := strings.ToLower(obj.Spec.Adopt.AppID)
	if s.conn == nil || !s.conn.Policy.AllowAdoption {
		// The connection phase refuses this already; the check stays beside the write it guards.
		return ctrl.Result{}, &adoptionRefusedError{appID: appID, why: "the connection's policy does not allow adoption (policy.allowAdoption)"}
	}
	observed, err := readAdopted(ctx, s)
	if errors.Is(err, graph.ErrNotFound) || graph.KindOf(err) == graph.KindForbidden {
		// With Application.ReadWrite.OwnedBy, an application the operator does not own may be hidden
		// (404) or refused (403): either way the cure is the same.
		why := "Entra ID shows the operator no application with this app ID. " + notOwnerHint
		if st.ObjectID != "" {
			why = "it was deleted from Entra ID or the operator was removed from its owners; an adopted application is not created again"
		}
		return ctrl.Result{}, &adoptionRefusedError{appID: appID, why: why}
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	fields := desired.Diff(want, observed)
	switch ownerOf(observed, obj.UID) {
	case ownerAnother:
		return ctrl.Result{}, &adoptionRefusedError{appID: appID, why: "another AppRegistration manages it (its unique name or an " +
			entrav1alpha1.OwnerTagPrefix + " tag says so). If that object is gone, an administrator removes the tag"}
	case ownerNone:
		approval := entrav1alpha1.AdoptionTag(obj.Namespace, obj.Name)
		if !slices.ContainsFunc(observed.Tags, func(t string) bool { return strings.EqualFold(t, approval) }) {
			return ctrl.Result{}, &adoptionRefusedError{appID: appID, why: "an administrator has not approved it: add the tag " +
				approval + " to the application in Entra ID"}
		}
		// The mark goes on with the first update of the managed fields, in one PATCH: the application
		// is never half taken over.
		want.Tags = append(slices.Clone(observed.Tags), entrav1alpha1.OwnerTag(obj.UID))
		fields = append(fields, graph.FieldTags)
	}
	s.app = observed
	s.app.UniqueName = ""
	st.TenantID = s.graph.TenantID()
	if err := r.restoreRecordedIDs(s); err != nil {
		return ctrl.Result{}, err
	}
	if !slices.Contains(fields, graph.FieldTags) {
		return ctrl.Result{}, r.updateApplication(ctx, s, want, observed)
	}
	if err := s.graph.UpdateApplicationByAppID(ctx, appID, want, fields); err != nil {
		return ctrl.Result{}, notOwner(appID, err)
	}
	r.event(obj, corev1.EventTypeNormal, "Adopted", "AdoptApplication",
		"Adopted application %s, approved by the tag %s", observed.AppID, entrav1alpha1.AdoptionTag(obj.Namespace, obj.Name))
	s.changes = append(s.changes, "adopted the application")
	return ctrl.Result{}, nil
}

// adoptedForCleanup reads an adopted application for the finalizer. ok is false when there is
// nothing of this object's to clean up: the application is gone, or its tags say it is not ours (a
// Warning event says so, and the application is left as it is).
func (r *AppRegistrationReconciler) adoptedForCleanup(ctx context.Context, s *scope) (app graph.Application, ok bool, err error) {
	app, err = readAdopted(ctx, s)
	if errors.Is(err, graph.ErrNotFound) {
		return graph.Application{}, false, nil
	}
	if err != nil {
		return graph.Application{}, false, err
	}
	if ownerOf(app, s.obj.UID) != ownerThis {
		r.event(s.obj, corev1.EventTypeWarning, "NotOwned", "DeleteApplication",
			"Left application %s untouched: it does not carry this object's %s tag", app.AppID, entrav1alpha1.OwnerTagPrefix)
		return graph.Application{}, false, nil
	}
	app.UniqueName = ""
	return app, true, nil
}

// releaseAdopted hands an adopted application back (deletionPolicy Orphan): the operator's mark
// goes, every other tag stays, the administrator's approval among them.
func (r *AppRegistrationReconciler) releaseAdopted(ctx context.Context, s *scope) error {
	mine := entrav1alpha1.OwnerTag(s.obj.UID)
	tags := slices.DeleteFunc(slices.Clone(s.app.Tags), func(t string) bool { return strings.EqualFold(t, mine) })
	return s.graph.UpdateApplicationByAppID(ctx, s.app.AppID, graph.Application{Tags: tags}, []graph.Field{graph.FieldTags})
}

// deleteAdopted deletes an adopted application that still carries this object's mark.
func (r *AppRegistrationReconciler) deleteAdopted(ctx context.Context, s *scope) error {
	app, ok, err := r.adoptedForCleanup(ctx, s)
	if err != nil || !ok {
		return err
	}
	err = s.graph.DeleteApplicationByAppID(ctx, app.AppID)
	if err != nil && !errors.Is(err, graph.ErrNotFound) {
		return err
	}
	r.event(s.obj, corev1.EventTypeNormal, "Deleted", "DeleteApplication", "Deleted adopted application %s from Entra ID", app.AppID)
	return nil
}
