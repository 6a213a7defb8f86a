package directory

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Consent is what an administrator consents to on one resource: delegated scopes (by value) and
// app roles (by ID).
type Consent struct {
	Resource *ServicePrincipal
	Scopes   []string
	RoleIDs  []string
}

// GrantAdminConsent records tenant-wide consent for client, as Entra does when an administrator
// accepts an admin consent prompt: the scopes are merged into the client's one AllPrincipals grant
// on each resource (created when there is none), and each app role not yet assigned to the client
// is assigned.
func (tx *Tx) GrantAdminConsent(client *ServicePrincipal, consents []Consent, at time.Time) {
	for _, c := range consents {
		if len(c.Scopes) > 0 {
			tx.mergeTenantWideGrant(client, c.Resource, c.Scopes, at)
		}
		for _, roleID := range c.RoleIDs {
			held := slices.ContainsFunc(tx.Assignments(), func(a *AppRoleAssignment) bool {
				return a.PrincipalID == client.ID && a.ResourceID == c.Resource.ID && strings.EqualFold(a.AppRoleID, roleID)
			})
			if held {
				continue
			}
			tx.AddAssignment(&AppRoleAssignment{
				ID: uuid.NewString(), AppRoleID: strings.ToLower(roleID), CreatedDateTime: at.UTC(),
				PrincipalDisplayName: client.DisplayName, PrincipalID: client.ID, PrincipalType: PrincipalTypeServicePrincipal,
				ResourceDisplayName: c.Resource.DisplayName, ResourceID: c.Resource.ID,
			}, at)
		}
	}
}

func (tx *Tx) mergeTenantWideGrant(client, resource *ServicePrincipal, scopes []string, at time.Time) {
	for _, g := range tx.Grants() {
		if g.ClientID == client.ID && g.ResourceID == resource.ID && g.ConsentType == consentTypeAllPrincipals {
			have := strings.Fields(g.Scope)
			for _, s := range scopes {
				if !containsFold(have, s) {
					have = append(have, s)
				}
			}
			g.Scope = strings.Join(have, " ")
			return
		}
	}
	tx.AddGrant(&OAuth2PermissionGrant{
		ID: NewGrantID(), ClientID: client.ID,
		ConsentType: consentTypeAllPrincipals, ResourceID: resource.ID, Scope: strings.Join(scopes, " "),
	}, at)
}

// consentTypeAllPrincipals is the consentType of tenant-wide consent.
const consentTypeAllPrincipals = "AllPrincipals"

// NewGrantID mimics Graph's opaque base64url grant IDs.
func NewGrantID() string {
	return strings.ReplaceAll(uuid.NewString()+uuid.NewString()[:8], "-", "")
}
