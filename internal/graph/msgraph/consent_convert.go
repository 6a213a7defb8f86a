package msgraph

import (
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// resourceAccess types of requiredResourceAccess entries.
const (
	accessTypeScope = "Scope"
	accessTypeRole  = "Role"
)

// toSDKResourceAccess renders requiredResourceAccess; an empty list (which clears it) is sent as [].
// IDs come from the resources' service principals, so one that is not a GUID is a bug upstream and
// is left out rather than sent for Graph to refuse.
func toSDKResourceAccess(in []graph.ResourceAccess) []models.RequiredResourceAccessable {
	out := make([]models.RequiredResourceAccessable, 0, len(in))
	for _, r := range in {
		access := make([]models.ResourceAccessable, 0, len(r.ScopeIDs)+len(r.RoleIDs))
		for _, ids := range []struct {
			kind string
			ids  []string
		}{{accessTypeScope, r.ScopeIDs}, {accessTypeRole, r.RoleIDs}} {
			for _, id := range ids.ids {
				parsed, err := uuid.Parse(id)
				if err != nil {
					continue
				}
				a := models.NewResourceAccess()
				a.SetId(&parsed)
				a.SetTypeEscaped(ptr(ids.kind))
				access = append(access, a)
			}
		}
		rra := models.NewRequiredResourceAccess()
		rra.SetResourceAppId(ptr(r.ResourceAppID))
		rra.SetResourceAccess(access)
		out = append(out, rra)
	}
	return out
}

func fromSDKResourceAccess(in []models.RequiredResourceAccessable) []graph.ResourceAccess {
	if len(in) == 0 {
		return nil
	}
	out := make([]graph.ResourceAccess, 0, len(in))
	for _, r := range in {
		entry := graph.ResourceAccess{ResourceAppID: deref(r.GetResourceAppId())}
		for _, a := range r.GetResourceAccess() {
			switch id := uuidString(a.GetId()); {
			case strings.EqualFold(deref(a.GetTypeEscaped()), accessTypeScope):
				entry.ScopeIDs = append(entry.ScopeIDs, id)
			case strings.EqualFold(deref(a.GetTypeEscaped()), accessTypeRole):
				entry.RoleIDs = append(entry.RoleIDs, id)
			}
		}
		out = append(out, entry)
	}
	return out
}
