package desired

import (
	"slices"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// Real Microsoft Graph and Exchange Online permission IDs.
const (
	scopeOpenID       = "37f7f235-527c-4136-accd-4a02d197296e"
	scopeUserRead     = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
	scopeMailSend     = "e383f46e-2787-4529-855e-0e479a3ffac0"
	scopeSMTPSend     = "258f6531-6087-4cc4-bb90-092c5fb3ed3f"
	roleUserReadAll   = "df021288-bdef-4463-88db-98f22de89214"
	roleCalendarsRead = "798ee544-9d2d-430c-a058-570e29e34338"
	roleMailSend      = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
	roleSMTPSendAsApp = "7146a1f0-8703-45b3-9eae-527a64c00995"
)

func graphResource() graph.Resource {
	return graph.Resource{
		ObjectID: "sp-graph", AppID: v1.MicrosoftGraphAppID,
		Scopes: []graph.Permission{
			{ID: scopeOpenID, Value: "openid", Enabled: true}, {ID: scopeUserRead, Value: "User.Read", Enabled: true},
			{ID: scopeMailSend, Value: "Mail.Send", Enabled: true}, {ID: scopeSMTPSend, Value: "SMTP.Send", Enabled: true},
		},
		Roles: []graph.Permission{
			{ID: roleUserReadAll, Value: "User.Read.All", Enabled: true}, {ID: roleCalendarsRead, Value: "Calendars.Read", Enabled: true},
			{ID: roleMailSend, Value: "Mail.Send", Enabled: true},
		},
	}
}

func exchangeResource() graph.Resource {
	return graph.Resource{ObjectID: "sp-exchange", AppID: v1.ExchangeOnlineAppID,
		Roles: []graph.Permission{{ID: roleSMTPSendAsApp, Value: "SMTP.SendAsApp", Enabled: true}}}
}

func resolve(t *testing.T, decl v1.ResourcePermissions, r graph.Resource) permissions.Resolved {
	t.Helper()
	out, missing := permissions.Resolve(decl, r)
	if len(missing) > 0 {
		t.Fatalf("unresolved: %v", missing)
	}
	return out
}

func TestRequiredResourceAccessFollowsTheSpec(t *testing.T) {
	oro := resolve(t, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph,
		Delegated: []v1.PermissionName{"openid", "User.Read"}, Application: []v1.PermissionName{"Calendars.Read"}}, graphResource())
	smtp := resolve(t, v1.ResourcePermissions{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"SMTP.SendAsApp"}}, exchangeResource())
	got := RequiredResourceAccess([]permissions.Resolved{oro, smtp})
	want := []graph.ResourceAccess{
		{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead}, RoleIDs: []string{roleCalendarsRead}},
		{ResourceAppID: v1.ExchangeOnlineAppID, RoleIDs: []string{roleSMTPSendAsApp}},
	}
	if len(got) != len(want) {
		t.Fatalf("RequiredResourceAccess() = %+v", got)
	}
	for i := range want {
		if got[i].ResourceAppID != want[i].ResourceAppID || !slices.Equal(got[i].ScopeIDs, want[i].ScopeIDs) || !slices.Equal(got[i].RoleIDs, want[i].RoleIDs) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if RequiredResourceAccess(nil) != nil {
		t.Error("no permissions should declare none")
	}
}

func TestDiffOfRequiredResourceAccess(t *testing.T) {
	declared := []graph.ResourceAccess{
		{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead}, RoleIDs: []string{roleUserReadAll}},
		{ResourceAppID: v1.ExchangeOnlineAppID, RoleIDs: []string{roleSMTPSendAsApp}},
	}
	want := Application(espoSpec())
	want.RequiredResourceAccess = declared
	rra := []graph.Field{graph.FieldRequiredResourceAccess}
	cases := []struct {
		name     string
		observed []graph.ResourceAccess
		want     []graph.Field
	}{
		{"in sync", declared, nil},
		{"resources and IDs reordered, IDs in upper case", []graph.ResourceAccess{
			{ResourceAppID: v1.ExchangeOnlineAppID, RoleIDs: []string{"7146A1F0-8703-45B3-9EAE-527A64C00995"}},
			{ResourceAppID: "00000003-0000-0000-C000-000000000000", ScopeIDs: []string{scopeUserRead, scopeOpenID}, RoleIDs: []string{roleUserReadAll}},
		}, nil},
		{"an empty resource entry in Entra counts as absent", append(slices.Clone(declared), graph.ResourceAccess{ResourceAppID: "6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0"}), nil},
		{"a scope added in the portal", []graph.ResourceAccess{
			{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead, scopeMailSend}, RoleIDs: []string{roleUserReadAll}},
			declared[1],
		}, rra},
		{"a role removed from the spec is still in Entra", []graph.ResourceAccess{
			{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead}, RoleIDs: []string{roleUserReadAll, roleCalendarsRead}},
			declared[1],
		}, rra},
		{"a resource added to the spec is not in Entra yet", declared[:1], rra},
		{"the same ID as a scope instead of a role", []graph.ResourceAccess{
			{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead, roleUserReadAll}},
			declared[1],
		}, rra},
		{"nothing in Entra", nil, rra},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			observed := clone(want)
			observed.RequiredResourceAccess = c.observed
			if got := Diff(want, observed); !slices.Equal(got, c.want) {
				t.Errorf("Diff() = %v, want %v", got, c.want)
			}
		})
	}
	// A spec without permissions clears what was declared in the portal, and an app with none needs no write.
	noPermissions := Application(espoSpec())
	withSome := clone(noPermissions)
	withSome.RequiredResourceAccess = declared
	if got := Diff(noPermissions, withSome); !slices.Equal(got, rra) {
		t.Errorf("permissions added in the portal: Diff() = %v, want %v", got, rra)
	}
	empty := clone(noPermissions)
	empty.RequiredResourceAccess = []graph.ResourceAccess{}
	if got := Diff(noPermissions, empty); len(got) != 0 {
		t.Errorf("[] against nil: Diff() = %v", got)
	}
}
