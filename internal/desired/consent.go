package desired

import (
	"maps"
	"slices"
	"strings"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// Which consent is the operator's to change? Only consent on the application's own service
// principal, and on it only for permissions the application declares or has declared: those in the
// requiredResourceAccess Entra held before this reconcile wrote it, and those status recorded as
// granted. The second source covers a crash between the write that drops a permission from
// requiredResourceAccess and the revocation of its consent. Everything else on that service
// principal is left alone: one user's consent for themselves (never even read), an app role an
// administrator assigned by hand that the application never declared, a scope added by hand to the
// tenant-wide grant. Status can at worst make the operator revoke consent for a permission the spec
// does not declare, on this object's own application: never grant anything.

// OwnedPermissions are the permissions of one resource whose consent the operator manages.
type OwnedPermissions struct {
	// Scopes are delegated permission values.
	Scopes []string
	// RoleIDs are app role IDs.
	RoleIDs []string
}

// Owned maps resource application IDs (lower case) to the permissions the operator manages on them.
type Owned map[string]*OwnedPermissions

// OwnedConsent collects the permissions whose consent the operator manages (see above) from the
// requiredResourceAccess observed before this reconcile's write and the granted permissions status
// recorded. catalogs (by lower-case app ID) turn scope IDs into the values grants hold, and recorded
// role names into IDs; what a catalog cannot translate is left out, so it is never revoked.
func OwnedConsent(observed []graph.ResourceAccess, recorded []entrav1alpha1.ResourcePermissions, catalogs map[string]graph.Resource) Owned {
	out := Owned{}
	entry := func(appID string) *OwnedPermissions {
		key := strings.ToLower(appID)
		if out[key] == nil {
			out[key] = &OwnedPermissions{}
		}
		return out[key]
	}
	for _, r := range observed {
		catalog := catalogs[strings.ToLower(r.ResourceAppID)]
		e := entry(r.ResourceAppID)
		for _, id := range r.ScopeIDs {
			if p, ok := permissions.FindID(catalog.Scopes, id); ok {
				e.Scopes = appendFold(e.Scopes, p.Value)
			}
		}
		for _, id := range r.RoleIDs {
			e.RoleIDs = appendFold(e.RoleIDs, strings.ToLower(id))
		}
	}
	for _, r := range recorded {
		appID := permissions.AppIDOf(r.Resource)
		catalog := catalogs[appID]
		e := entry(appID)
		for _, name := range r.Delegated {
			e.Scopes = appendFold(e.Scopes, string(name))
		}
		for _, name := range r.Application {
			if p, ok := permissions.Find(catalog.Roles, string(name)); ok {
				e.RoleIDs = appendFold(e.RoleIDs, strings.ToLower(p.ID))
			}
		}
	}
	return out
}

// Empty reports whether the operator manages no consent at all.
func (o Owned) Empty() bool {
	for _, p := range o {
		if len(p.Scopes)+len(p.RoleIDs) > 0 {
			return false
		}
	}
	return true
}

// AppIDs lists the resources of owned, sorted.
func (o Owned) AppIDs() []string { return slices.Sorted(maps.Keys(o)) }

// ConsentState is what consent is planned from: the declared permissions, what the operator
// manages, and the tenant-wide consent Entra holds for the application's service principal.
type ConsentState struct {
	// ClientID is the object ID of the application's own service principal.
	ClientID string
	Declared []permissions.Resolved
	Owned    Owned
	// Catalogs are the service principals of every declared or owned resource, by lower-case app ID.
	Catalogs map[string]graph.Resource
	// Grants are the tenant-wide delegated grants whose client is ClientID.
	Grants []graph.DelegatedGrant
	// Assignments are the app roles assigned to ClientID.
	Assignments []graph.AppRoleAssignment
}

// ConsentPlan is what makes tenant-wide consent match the declared permissions.
type ConsentPlan struct {
	CreateGrants []graph.DelegatedGrant
	// UpdateGrants carry the scopes each grant should hold.
	UpdateGrants []graph.DelegatedGrant
	DeleteGrants []graph.DelegatedGrant
	Assign       []graph.AppRoleAssignment
	Revoke       []graph.AppRoleAssignment
	// Adds are the permissions the plan grants, for the administrator's allow-list.
	Adds []permissions.Ref
	// Present are the declared permissions that hold consent before the plan is applied, per
	// declared resource (resources with none left out), in the resource's spelling.
	Present []entrav1alpha1.ResourcePermissions
}

// Empty reports whether the plan changes nothing.
func (p ConsentPlan) Empty() bool {
	return len(p.CreateGrants)+len(p.UpdateGrants)+len(p.DeleteGrants)+len(p.Assign)+len(p.Revoke) == 0
}

// Complete reports whether every declared permission holds consent before the plan is applied.
func (s ConsentState) Complete(p ConsentPlan) bool {
	return slices.Equal(declaredCounts(s.Declared), presentCounts(p.Present, s.Declared))
}

func declaredCounts(declared []permissions.Resolved) []int {
	out := make([]int, 0, 2*len(declared))
	for _, r := range declared {
		out = append(out, len(r.Delegated), len(r.Application))
	}
	return out
}

func presentCounts(present []entrav1alpha1.ResourcePermissions, declared []permissions.Resolved) []int {
	out := make([]int, 0, 2*len(declared))
	for _, r := range declared {
		i := slices.IndexFunc(present, func(p entrav1alpha1.ResourcePermissions) bool { return string(p.Resource) == r.Name })
		if i < 0 {
			out = append(out, 0, 0)
			continue
		}
		out = append(out, len(present[i].Delegated), len(present[i].Application))
	}
	return out
}

// PlanConsent compares the tenant-wide consent Entra holds with the declared permissions: declared
// ones missing are added (one grant per resource holding exactly the declared scopes, one
// assignment per declared app role), owned ones no longer declared are revoked, and everything else
// is left as it is.
func PlanConsent(s ConsentState) ConsentPlan {
	var plan ConsentPlan
	declared := map[string]permissions.Resolved{}
	order := make([]string, 0, len(s.Declared)+len(s.Owned))
	for _, r := range s.Declared {
		appID := strings.ToLower(r.Resource.AppID)
		declared[appID] = r
		order = append(order, appID)
	}
	for _, appID := range s.Owned.AppIDs() {
		if _, ok := declared[appID]; !ok {
			order = append(order, appID)
		}
	}
	for _, appID := range order {
		catalog, ok := s.Catalogs[appID]
		if !ok || catalog.ObjectID == "" {
			// The resource has no service principal any more: Entra removed its consent with it.
			continue
		}
		owned := s.Owned[appID]
		if owned == nil {
			owned = &OwnedPermissions{}
		}
		r, isDeclared := declared[appID]
		present := entrav1alpha1.ResourcePermissions{Resource: entrav1alpha1.PermissionResource(r.Name)}
		planGrant(&plan, &present, s, catalog, r.Names(permissions.Delegated), owned.Scopes)
		planRoles(&plan, &present, s, catalog, r.Application, owned.RoleIDs)
		if isDeclared && (len(present.Delegated) > 0 || len(present.Application) > 0) {
			plan.Present = append(plan.Present, present)
		}
	}
	return plan
}

// planGrant plans the tenant-wide grant of one resource.
func planGrant(plan *ConsentPlan, present *entrav1alpha1.ResourcePermissions, s ConsentState, catalog graph.Resource, want, owned []string) {
	i := slices.IndexFunc(s.Grants, func(g graph.DelegatedGrant) bool {
		return strings.EqualFold(g.ResourceID, catalog.ObjectID) && strings.EqualFold(g.ClientID, s.ClientID)
	})
	var current []string
	if i >= 0 {
		current = s.Grants[i].Scopes
	}
	var next []string
	for _, scope := range current {
		if containsFold(want, scope) || !containsFold(owned, scope) {
			next = appendFold(next, scope)
		}
	}
	for _, scope := range want {
		if containsFold(current, scope) {
			present.Delegated = append(present.Delegated, entrav1alpha1.PermissionName(scope))
		}
		if !containsFold(next, scope) {
			next = append(next, scope)
			plan.Adds = append(plan.Adds, permissions.Ref{AppID: strings.ToLower(catalog.AppID), Kind: permissions.Delegated, Name: scope})
		}
	}
	switch {
	case i < 0 && len(next) > 0:
		plan.CreateGrants = append(plan.CreateGrants, graph.DelegatedGrant{ClientID: s.ClientID, ResourceID: catalog.ObjectID, Scopes: next})
	case i >= 0 && len(next) == 0:
		plan.DeleteGrants = append(plan.DeleteGrants, s.Grants[i])
	case i >= 0 && !sameSetFold(next, current):
		g := s.Grants[i]
		g.Scopes = next
		plan.UpdateGrants = append(plan.UpdateGrants, g)
	}
}

// planRoles plans the app role assignments of one resource.
func planRoles(plan *ConsentPlan, present *entrav1alpha1.ResourcePermissions, s ConsentState, catalog graph.Resource, want []graph.Permission, ownedIDs []string) {
	var have []graph.AppRoleAssignment
	for _, a := range s.Assignments {
		if strings.EqualFold(a.ResourceID, catalog.ObjectID) && strings.EqualFold(a.PrincipalID, s.ClientID) {
			have = append(have, a)
		}
	}
	held := func(roleID string) bool {
		return slices.ContainsFunc(have, func(a graph.AppRoleAssignment) bool { return strings.EqualFold(a.AppRoleID, roleID) })
	}
	for _, role := range want {
		if held(role.ID) {
			present.Application = append(present.Application, entrav1alpha1.PermissionName(role.Value))
			continue
		}
		plan.Assign = append(plan.Assign, graph.AppRoleAssignment{PrincipalID: s.ClientID, ResourceID: catalog.ObjectID, AppRoleID: role.ID})
		plan.Adds = append(plan.Adds, permissions.Ref{AppID: strings.ToLower(catalog.AppID), Kind: permissions.Application, Name: role.Value})
	}
	for _, a := range have {
		wanted := slices.ContainsFunc(want, func(p graph.Permission) bool { return strings.EqualFold(p.ID, a.AppRoleID) })
		if !wanted && containsFold(ownedIDs, a.AppRoleID) {
			plan.Revoke = append(plan.Revoke, a)
		}
	}
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

func appendFold(list []string, s string) []string {
	if containsFold(list, s) {
		return list
	}
	return append(list, s)
}

func sameSetFold(a, b []string) bool {
	lower := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, s := range in {
			out = append(out, strings.ToLower(s))
		}
		return out
	}
	return sameSet(lower(a), lower(b))
}
