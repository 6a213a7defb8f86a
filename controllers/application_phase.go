package controllers

import (
	"context"
	"errors"
	"strings"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// ensureApplication creates the application idempotently or brings the existing one in line with
// the spec, writing only the fields that differ.
//
// The application is found by its unique name, derived from the object's UID, and by nothing else:
// status only records what Entra said. A status that names another application (edited by someone
// with status rights, or stale) is reported and restored; that application is never read, written or
// deleted on its account.
func (r *AppRegistrationReconciler) ensureApplication(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.obj.Status
	tenantID := s.graph.TenantID()
	if st.TenantID != "" && !strings.EqualFold(st.TenantID, tenantID) {
		return ctrl.Result{}, &tenantMismatchError{recorded: st.TenantID, current: tenantID}
	}
	want := desired.Application(s.obj.Spec)
	want.RequiredResourceAccess = desired.RequiredResourceAccess(s.resolved)
	if s.adopted() {
		return r.ensureAdoptedApplication(ctx, s, want)
	}
	if st.ObjectID == "" {
		// Nothing recorded: almost always a new object. The upsert creates the application, or finds
		// the one an earlier attempt created before it could record it, without a read first.
		return ctrl.Result{}, r.upsertApplication(ctx, s, want)
	}

	observed, err := s.graph.GetApplication(ctx, s.uniqueName)
	switch {
	case err == nil:
		if !strings.EqualFold(observed.UniqueName, s.uniqueName) {
			// Graph answered a unique-name read with another application: touch nothing.
			return ctrl.Result{}, &statusMismatchError{field: "uniqueName", recorded: observed.UniqueName, actual: s.uniqueName}
		}
		s.app = observed
		st.TenantID = tenantID
		if err := r.restoreRecordedIDs(s); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.updateApplication(ctx, s, want, observed)
	case !errors.Is(err, graph.ErrNotFound):
		return ctrl.Result{}, err
	}
	// A 404 means the application was never created, was deleted behind the operator's back, or was
	// created moments ago and has not reached the replica that answered. The last is likely when
	// status already records an application for an object this young: wait instead of writing.
	if s.now.Sub(s.obj.CreationTimestamp.Time) < r.replicationWindow() {
		return ctrl.Result{}, errReplicating("the new application")
	}
	return ctrl.Result{}, r.upsertApplication(ctx, s, want)
}

// restoreRecordedIDs compares the IDs status records with the application Entra returned for the
// object's unique name. A difference means status was edited or is stale: the IDs are restored from
// Entra, and the reconcile stops here once, so the mismatch shows in Ready and in a Warning event.
func (r *AppRegistrationReconciler) restoreRecordedIDs(s *scope) error {
	st := &s.obj.Status
	var mismatch *statusMismatchError
	switch {
	case st.ObjectID != "" && !strings.EqualFold(st.ObjectID, s.app.ObjectID):
		mismatch = &statusMismatchError{field: "objectId", recorded: st.ObjectID, actual: s.app.ObjectID}
	case st.AppID != "" && !strings.EqualFold(st.AppID, s.app.AppID):
		mismatch = &statusMismatchError{field: "appId", recorded: st.AppID, actual: s.app.AppID}
	}
	st.ObjectID, st.AppID = s.app.ObjectID, s.app.AppID
	if mismatch != nil {
		st.ServicePrincipalID = ""
		return mismatch
	}
	return nil
}

func (r *AppRegistrationReconciler) upsertApplication(ctx context.Context, s *scope, want graph.Application) error {
	st := &s.obj.Status
	res, created, err := s.graph.UpsertApplication(ctx, s.uniqueName, want)
	if err != nil {
		return err
	}
	if !created {
		// It existed: a crash came between an earlier create and the status write, or Graph had not
		// replicated it to the replica that answered the read. The upsert already wrote the spec.
		res, err = s.graph.GetApplication(ctx, s.uniqueName)
		if errors.Is(err, graph.ErrNotFound) {
			return errReplicating("the application")
		}
		if err != nil {
			return err
		}
	}
	recreated := created && st.ObjectID != "" && st.ObjectID != res.ObjectID
	s.app, s.createdApp = res, created
	st.ObjectID, st.AppID, st.TenantID = res.ObjectID, res.AppID, s.graph.TenantID()
	st.ServicePrincipalID = "" // a new application has a new service principal
	// The IDs reach status with the reconcile's one status write. A crash before it loses nothing:
	// the next reconcile's upsert by unique name finds this application instead of making another.
	switch {
	case recreated:
		r.event(s.obj, corev1.EventTypeWarning, "Recreated", "CreateApplication",
			"Application %s was deleted outside the operator and has been created again", res.AppID)
	case created:
		// One event for the application and its service principal, made next: each event is kept
		// in the manager's memory for minutes (client-go's broadcaster, for series).
		s.announceApp = true
	}
	if created {
		s.changes = append(s.changes, "created the application")
	}
	return nil
}

// announceCreated emits the Created event of an application this reconcile created, when the service
// principal phase did not (it failed or did not run).
func (r *AppRegistrationReconciler) announceCreated(s *scope) {
	if s.announceApp {
		s.announceApp = false
		r.event(s.obj, corev1.EventTypeNormal, "Created", "CreateApplication", "Created application %s", s.app.AppID)
	}
}

func (r *AppRegistrationReconciler) updateApplication(ctx context.Context, s *scope, want, observed graph.Application) error {
	fields := desired.Diff(want, observed)
	if len(fields) == 0 {
		return nil
	}
	update := func() error { return s.graph.UpdateApplication(ctx, s.uniqueName, want, fields) }
	if s.adopted() {
		update = func() error {
			return notOwner(observed.AppID, s.graph.UpdateApplicationByAppID(ctx, observed.AppID, want, fields))
		}
	}
	if err := update(); err != nil {
		return err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(f)
	}
	r.event(s.obj, corev1.EventTypeNormal, "Updated", "UpdateApplication",
		"Updated %s of application %s", strings.Join(names, ", "), observed.AppID)
	s.changes = append(s.changes, "updated "+strings.Join(names, ", "))
	return nil
}
