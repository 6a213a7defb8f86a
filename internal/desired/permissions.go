package desired

import (
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// RequiredResourceAccess is the application's requiredResourceAccess for the declared permissions,
// resolved to IDs, in spec order. Application leaves it to this function because the IDs come from
// the resources' service principals, not from the spec.
func RequiredResourceAccess(resolved []permissions.Resolved) []graph.ResourceAccess {
	if len(resolved) == 0 {
		return nil
	}
	out := make([]graph.ResourceAccess, 0, len(resolved))
	for _, r := range resolved {
		entry := graph.ResourceAccess{ResourceAppID: r.Resource.AppID}
		for _, p := range r.Delegated {
			entry.ScopeIDs = append(entry.ScopeIDs, p.ID)
		}
		for _, p := range r.Application {
			entry.RoleIDs = append(entry.RoleIDs, p.ID)
		}
		out = append(out, entry)
	}
	return out
}

// sameAccess compares two requiredResourceAccess lists as Entra holds them: a set of (resource,
// type, ID), without regard to order, case or resources listed with no permission.
func sameAccess(a, b []graph.ResourceAccess) bool {
	return sameSet(accessKeys(a), accessKeys(b))
}

func accessKeys(list []graph.ResourceAccess) []string {
	var out []string
	for _, r := range list {
		app := strings.ToLower(r.ResourceAppID)
		for _, id := range r.ScopeIDs {
			out = append(out, app+"|Scope|"+strings.ToLower(id))
		}
		for _, id := range r.RoleIDs {
			out = append(out, app+"|Role|"+strings.ToLower(id))
		}
	}
	return out
}
