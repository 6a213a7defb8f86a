package controllers

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// ensureServicePrincipal makes sure the application has its service principal in the tenant, which
// users sign in to and consent is granted on. The app ID comes from the application just read.
func (r *AppRegistrationReconciler) ensureServicePrincipal(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.obj.Status
	if !s.createdApp { // a brand-new application cannot have one yet: skip the read
		sp, err := s.graph.GetServicePrincipal(ctx, s.app.AppID)
		if err == nil {
			s.servicePrincipal, st.ServicePrincipalID = sp, sp.ObjectID
			return ctrl.Result{}, nil
		}
		if !errors.Is(err, graph.ErrNotFound) {
			return ctrl.Result{}, err
		}
	}
	sp, err := s.graph.CreateServicePrincipal(ctx, s.app)
	if graph.KindOf(err) == graph.KindConflict {
		// Created by an earlier attempt whose answer was lost; read it.
		sp, err = s.graph.GetServicePrincipal(ctx, s.app.AppID)
	}
	if err != nil {
		if graph.KindOf(err) == graph.KindReplicationLag || errors.Is(err, graph.ErrNotFound) {
			return ctrl.Result{}, errReplicating("the application, before its service principal can be created")
		}
		return ctrl.Result{}, err
	}
	s.servicePrincipal, st.ServicePrincipalID = sp, sp.ObjectID
	if s.announceApp {
		s.announceApp = false
		r.event(s.obj, corev1.EventTypeNormal, "Created", "CreateApplication",
			"Created application %s and its service principal %s", s.app.AppID, sp.ObjectID)
	} else {
		r.event(s.obj, corev1.EventTypeNormal, "Created", "CreateServicePrincipal",
			"Created service principal %s for application %s", sp.ObjectID, s.app.AppID)
	}
	s.changes = append(s.changes, "created the service principal")
	return ctrl.Result{}, nil
}
