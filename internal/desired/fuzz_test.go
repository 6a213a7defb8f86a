package desired

import (
	"slices"
	"strings"
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// FuzzDiff checks the two properties a resync depends on: an application compared with itself in
// another order (redirect URIs, claims, permission resources) needs no write, and any added
// redirect URI is noticed.
func FuzzDiff(f *testing.F) {
	f.Add("https://a.example.com/cb https://b.example.com/cb", "email upn", "https://evil.example.com/")
	f.Add("", "", "x")
	f.Fuzz(func(t *testing.T, uris, claimNames, extra string) {
		app := graph.Application{DisplayName: "x", SignInAudience: "AzureADMyOrg", GroupMembershipClaims: "None"}
		app.Web.RedirectURIs = strings.Fields(uris)
		for _, n := range strings.Fields(claimNames) {
			app.OptionalClaims.IDToken = append(app.OptionalClaims.IDToken, graph.OptionalClaim{Name: n, AdditionalProperties: []string{"b", "a"}})
		}
		// The same words serve as permission IDs of two resources.
		app.RequiredResourceAccess = []graph.ResourceAccess{
			{ResourceAppID: "00000003-0000-0000-c000-000000000000", ScopeIDs: strings.Fields(uris), RoleIDs: strings.Fields(claimNames)},
			{ResourceAppID: "00000002-0000-0ff1-ce00-000000000000", RoleIDs: strings.Fields(uris)},
		}
		shuffled := app
		shuffled.Web.RedirectURIs = slices.Clone(app.Web.RedirectURIs)
		slices.Reverse(shuffled.Web.RedirectURIs)
		shuffled.RequiredResourceAccess = slices.Clone(app.RequiredResourceAccess)
		slices.Reverse(shuffled.RequiredResourceAccess)
		shuffled.OptionalClaims.IDToken = slices.Clone(app.OptionalClaims.IDToken)
		slices.Reverse(shuffled.OptionalClaims.IDToken)
		if d := Diff(app, shuffled); len(d) != 0 {
			t.Fatalf("reordering alone produced a diff: %v", d)
		}
		if slices.Contains(app.Web.RedirectURIs, extra) {
			return
		}
		shuffled.Web.RedirectURIs = append(shuffled.Web.RedirectURIs, extra)
		if d := Diff(app, shuffled); !slices.Equal(d, []graph.Field{graph.FieldWeb}) {
			t.Fatalf("an added redirect URI %q gave diff %v, want [web]", extra, d)
		}
	})
}
