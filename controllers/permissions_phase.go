package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// resolvePermissions turns the permission names of spec.permissions into the IDs their resources
// publish, before anything is written: a name no resource knows stops the reconcile here, so the
// application is left exactly as it was rather than half updated. Resources come from a cache, so
// an object in sync reads none from Graph.
func (r *AppRegistrationReconciler) resolvePermissions(ctx context.Context, s *scope) (ctrl.Result, error) {
	s.resolved = nil
	unknown := &unknownPermissionError{}
	for _, decl := range s.obj.Spec.Permissions {
		appID := permissions.AppIDOf(decl.Resource)
		resource, err := r.resource(ctx, s.graph, appID, false)
		if errors.Is(err, graph.ErrNotFound) {
			unknown.absent = append(unknown.absent, string(decl.Resource))
			continue
		}
		if err != nil {
			return ctrl.Result{}, err
		}
		resolved, missing := permissions.Resolve(decl, resource)
		if len(missing) > 0 {
			// The copy may predate a permission the resource published since: look once more.
			if resource, err = r.resource(ctx, s.graph, appID, true); err != nil {
				return ctrl.Result{}, err
			}
			resolved, missing = permissions.Resolve(decl, resource)
		}
		unknown.missing = append(unknown.missing, missing...)
		s.resolved = append(s.resolved, resolved)
	}
	if len(unknown.missing) > 0 || len(unknown.absent) > 0 {
		s.resolved = nil
		unknown.tenantID = s.graph.TenantID()
		return ctrl.Result{}, unknown
	}
	return ctrl.Result{}, nil
}

// resource returns the service principal of the resource appID from the cache, or from Graph when
// the cache has no fresh copy; refresh asks Graph again unless the copy is very recent.
func (r *AppRegistrationReconciler) resource(ctx context.Context, gc graph.Client, appID string, refresh bool) (graph.Resource, error) {
	cache := r.resourceCache()
	get := cache.Get
	if refresh {
		get = cache.Refresh
	}
	res, _, err := get(ctx, gc.TenantID(), appID, gc.GetResource)
	return res, err
}

// resourceCache is the reconciler's cache of resources, made on first use when none was given.
func (r *AppRegistrationReconciler) resourceCache() *permissions.Cache {
	r.resourcesOnce.Do(func() {
		if r.Resources == nil {
			r.Resources = permissions.NewCache(0, 0, nil)
		}
	})
	return r.Resources
}

func permissionsResolvedMessage(s *scope) string {
	if len(s.resolved) == 0 {
		return "No API permissions are declared"
	}
	n := 0
	for _, res := range s.resolved {
		n += len(res.Delegated) + len(res.Application)
	}
	return fmt.Sprintf("%d permission(s) of %d resource(s) found on their resources", n, len(s.resolved))
}

// unknownPermissionError names every declared permission its resource does not publish, and every
// resource without a service principal in the tenant.
type unknownPermissionError struct {
	missing  []permissions.Missing
	absent   []string
	tenantID string
}

func (e *unknownPermissionError) Error() string {
	parts := make([]string, 0, len(e.missing)+len(e.absent))
	for _, m := range e.missing {
		parts = append(parts, m.String())
	}
	for _, a := range e.absent {
		parts = append(parts, fmt.Sprintf("resource %s has no service principal in tenant %s", a, e.tenantID))
	}
	more := ""
	if len(parts) > maxListed {
		more = fmt.Sprintf("; and %d more", len(parts)-maxListed)
		parts = parts[:maxListed]
	}
	return strings.Join(parts, "; ") + more + "; nothing was written: correct spec.permissions"
}
