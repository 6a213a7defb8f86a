package desired

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

const client = "sp-crm"

func catalogs() map[string]graph.Resource {
	return map[string]graph.Resource{v1.MicrosoftGraphAppID: graphResource(), v1.ExchangeOnlineAppID: exchangeResource()}
}

// graphGrant is the application's tenant-wide grant on Microsoft Graph.
func graphGrant(scopes ...string) graph.DelegatedGrant {
	return graph.DelegatedGrant{ID: "grant-sp-graph", ClientID: client, ResourceID: "sp-graph", Scopes: scopes}
}

func assignment(resource, role string) graph.AppRoleAssignment {
	return graph.AppRoleAssignment{ID: "a-" + role[:8], PrincipalID: client, ResourceID: resource, AppRoleID: role}
}

// summary renders a plan as sorted lines, so a table can state it compactly.
func summary(p ConsentPlan) []string {
	var out []string
	for _, g := range p.CreateGrants {
		out = append(out, fmt.Sprintf("create %s: %s", g.ResourceID, strings.Join(g.Scopes, " ")))
	}
	for _, g := range p.UpdateGrants {
		out = append(out, fmt.Sprintf("update %s: %s", g.ID, strings.Join(g.Scopes, " ")))
	}
	for _, g := range p.DeleteGrants {
		out = append(out, "delete "+g.ID)
	}
	for _, a := range p.Assign {
		out = append(out, fmt.Sprintf("assign %s %s", a.ResourceID, a.AppRoleID))
	}
	for _, a := range p.Revoke {
		out = append(out, "revoke "+a.ID)
	}
	slices.Sort(out)
	return out
}

func TestPlanConsent(t *testing.T) {
	oro := v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "User.Read", "SMTP.Send"}}
	threeCX := v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Application: []v1.PermissionName{"User.Read.All", "Calendars.Read"}}
	smtpApp := v1.ResourcePermissions{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"SMTP.SendAsApp"}}
	observedOro := []graph.ResourceAccess{{ResourceAppID: v1.MicrosoftGraphAppID, ScopeIDs: []string{scopeOpenID, scopeUserRead, scopeSMTPSend, scopeMailSend}}}
	observed3CX := []graph.ResourceAccess{{ResourceAppID: v1.MicrosoftGraphAppID, RoleIDs: []string{roleUserReadAll, roleCalendarsRead, roleMailSend}}}

	cases := []struct {
		name        string
		declared    []v1.ResourcePermissions
		observed    []graph.ResourceAccess
		recorded    []v1.ResourcePermissions
		grants      []graph.DelegatedGrant
		assignments []graph.AppRoleAssignment
		want        []string
		wantAdds    int
		complete    bool
	}{
		{name: "nothing granted yet: one grant with exactly the declared scopes, one assignment per role",
			declared: []v1.ResourcePermissions{oro, smtpApp},
			want:     []string{"assign sp-exchange " + roleSMTPSendAsApp, "create sp-graph: openid User.Read SMTP.Send"},
			wantAdds: 4},
		{name: "everything granted: nothing to do",
			declared:    []v1.ResourcePermissions{threeCX, smtpApp},
			assignments: []graph.AppRoleAssignment{assignment("sp-graph", roleUserReadAll), assignment("sp-graph", roleCalendarsRead), assignment("sp-exchange", roleSMTPSendAsApp)},
			complete:    true},
		{name: "scopes granted in another case and order count as granted",
			declared: []v1.ResourcePermissions{oro},
			grants:   []graph.DelegatedGrant{graphGrant("smtp.send", "OPENID", "User.Read")},
			complete: true},
		{name: "a scope removed from the spec is revoked from the grant",
			declared: []v1.ResourcePermissions{oro}, observed: observedOro,
			grants: []graph.DelegatedGrant{graphGrant("openid", "User.Read", "SMTP.Send", "Mail.Send")},
			want:   []string{"update grant-sp-graph: openid User.Read SMTP.Send"}, complete: true},
		{name: "the last declared scope gone: the grant is deleted",
			declared: []v1.ResourcePermissions{threeCX}, observed: observedOro,
			grants:      []graph.DelegatedGrant{graphGrant("openid", "User.Read", "SMTP.Send", "Mail.Send")},
			assignments: []graph.AppRoleAssignment{assignment("sp-graph", roleUserReadAll), assignment("sp-graph", roleCalendarsRead)},
			want:        []string{"delete grant-sp-graph"}, complete: true},
		{name: "a scope someone added by hand to the grant is kept while the declared ones are added",
			declared: []v1.ResourcePermissions{oro},
			grants:   []graph.DelegatedGrant{graphGrant("Directory.AccessAsUser.All", "openid")},
			want:     []string{"update grant-sp-graph: Directory.AccessAsUser.All openid User.Read SMTP.Send"}, wantAdds: 2},
		{name: "a grant of nothing but scopes added by hand is left alone when the spec declares none",
			declared: []v1.ResourcePermissions{threeCX},
			grants:   []graph.DelegatedGrant{graphGrant("Mail.Send")},
			want:     []string{"assign sp-graph " + roleCalendarsRead, "assign sp-graph " + roleUserReadAll}, wantAdds: 2},
		{name: "an application permission removed from the spec is revoked",
			declared: []v1.ResourcePermissions{threeCX}, observed: observed3CX,
			assignments: []graph.AppRoleAssignment{assignment("sp-graph", roleUserReadAll), assignment("sp-graph", roleCalendarsRead), assignment("sp-graph", roleMailSend)},
			want:        []string{"revoke a-" + roleMailSend[:8]}, complete: true},
		{name: "a role an administrator assigned by hand, never declared, is left alone",
			declared:    []v1.ResourcePermissions{threeCX},
			assignments: []graph.AppRoleAssignment{assignment("sp-graph", roleUserReadAll), assignment("sp-graph", roleCalendarsRead), assignment("sp-graph", roleMailSend)},
			complete:    true},
		{name: "consent recorded in status is revoked after a crash dropped it from requiredResourceAccess first",
			declared: []v1.ResourcePermissions{oro},
			recorded: []v1.ResourcePermissions{{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "User.Read", "SMTP.Send", "Mail.Send"}},
				{Resource: v1.ExchangeOnlineAppID, Application: []v1.PermissionName{"SMTP.SendAsApp"}}},
			grants:      []graph.DelegatedGrant{graphGrant("openid", "User.Read", "SMTP.Send", "Mail.Send")},
			assignments: []graph.AppRoleAssignment{assignment("sp-exchange", roleSMTPSendAsApp)},
			want:        []string{"revoke a-" + roleSMTPSendAsApp[:8], "update grant-sp-graph: openid User.Read SMTP.Send"}, complete: true},
		{name: "other clients' grants and assignments are not this application's",
			declared: []v1.ResourcePermissions{oro}, observed: observedOro,
			grants:      []graph.DelegatedGrant{{ID: "other", ClientID: "sp-other", ResourceID: "sp-graph", Scopes: []string{"Mail.Send"}}},
			assignments: []graph.AppRoleAssignment{{ID: "other-a", PrincipalID: "sp-other", ResourceID: "sp-graph", AppRoleID: roleMailSend}},
			want:        []string{"create sp-graph: openid User.Read SMTP.Send"}, wantAdds: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var declared []permissions.Resolved
			for _, d := range c.declared {
				declared = append(declared, resolve(t, d, catalogs()[permissions.AppIDOf(d.Resource)]))
			}
			state := ConsentState{
				ClientID: client, Declared: declared, Catalogs: catalogs(),
				Owned:  OwnedConsent(c.observed, c.recorded, catalogs()),
				Grants: c.grants, Assignments: c.assignments,
			}
			plan := PlanConsent(state)
			if got := summary(plan); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			if len(plan.Adds) != c.wantAdds {
				t.Errorf("%d permissions added (%v), want %d", len(plan.Adds), plan.Adds, c.wantAdds)
			}
			if got := state.Complete(plan); got != c.complete {
				t.Errorf("Complete() = %v, want %v (present %+v)", got, c.complete, plan.Present)
			}
			if plan.Empty() != (len(c.want) == 0) {
				t.Errorf("Empty() = %v for %v", plan.Empty(), summary(plan))
			}
		})
	}
}

func TestPlanConsentReportsWhatIsPresentInSpecOrder(t *testing.T) {
	decl := v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph,
		Delegated: []v1.PermissionName{"openid", "User.Read", "SMTP.Send"}, Application: []v1.PermissionName{"User.Read.All", "Calendars.Read"}}
	state := ConsentState{
		ClientID: client, Declared: []permissions.Resolved{resolve(t, decl, graphResource())}, Catalogs: catalogs(), Owned: Owned{},
		Grants:      []graph.DelegatedGrant{graphGrant("smtp.send", "openid", "Mail.Send")},
		Assignments: []graph.AppRoleAssignment{assignment("sp-graph", roleCalendarsRead)},
	}
	plan := PlanConsent(state)
	if len(plan.Present) != 1 {
		t.Fatalf("Present = %+v", plan.Present)
	}
	p := plan.Present[0]
	if p.Resource != v1.ResourceMicrosoftGraph || !slices.Equal(p.Delegated, []v1.PermissionName{"openid", "SMTP.Send"}) ||
		!slices.Equal(p.Application, []v1.PermissionName{"Calendars.Read"}) {
		t.Errorf("Present = %+v, want the granted declared permissions in spec order and spelling", p)
	}
	if state.Complete(plan) {
		t.Error("Complete() with User.Read and User.Read.All missing")
	}
	var adds []string
	for _, a := range plan.Adds {
		adds = append(adds, a.String())
	}
	if want := []string{"MicrosoftGraph delegated permission User.Read", "MicrosoftGraph application permission User.Read.All"}; !slices.Equal(adds, want) {
		t.Errorf("Adds = %q, want %q", adds, want)
	}
}

func TestOwnedConsentTranslatesOnlyWhatCatalogsKnow(t *testing.T) {
	observed := []graph.ResourceAccess{
		{ResourceAppID: "00000003-0000-0000-C000-000000000000", ScopeIDs: []string{scopeUserRead, "00000000-0000-0000-0000-00000000dead"}, RoleIDs: []string{strings.ToUpper(roleMailSend)}},
	}
	recorded := []v1.ResourcePermissions{{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"SMTP.SendAsApp", "Gone.Role"}}}
	owned := OwnedConsent(observed, recorded, catalogs())
	g := owned[v1.MicrosoftGraphAppID]
	if g == nil || !slices.Equal(g.Scopes, []string{"User.Read"}) || !slices.Equal(g.RoleIDs, []string{roleMailSend}) {
		t.Errorf("Graph owned = %+v", g)
	}
	x := owned[v1.ExchangeOnlineAppID]
	if x == nil || !slices.Equal(x.RoleIDs, []string{roleSMTPSendAsApp}) {
		t.Errorf("Exchange owned = %+v", x)
	}
	if got := owned.AppIDs(); !slices.Equal(got, []string{v1.ExchangeOnlineAppID, v1.MicrosoftGraphAppID}) {
		t.Errorf("AppIDs() = %v", got)
	}
	if owned.Empty() {
		t.Error("Empty() with permissions owned")
	}
	if emptyEntry := OwnedConsent([]graph.ResourceAccess{{ResourceAppID: v1.ExchangeOnlineAppID}}, nil, catalogs()); !emptyEntry.Empty() {
		t.Errorf("a resource declared with no permission makes Owned %+v non-empty", emptyEntry)
	}
}
