package permissions

import (
	"slices"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// graphSP is a slice of Microsoft Graph's service principal with the real permission IDs.
func graphSP() graph.Resource {
	return graph.Resource{
		ObjectID: "sp-graph", AppID: v1.MicrosoftGraphAppID, DisplayName: "Microsoft Graph",
		Scopes: []graph.Permission{
			{ID: "37f7f235-527c-4136-accd-4a02d197296e", Value: "openid", Enabled: true},
			{ID: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", Value: "offline_access", Enabled: true},
			{ID: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", Value: "User.Read", Enabled: true},
			{ID: "e383f46e-2787-4529-855e-0e479a3ffac0", Value: "Mail.Send", Enabled: true},
			{ID: "258f6531-6087-4cc4-bb90-092c5fb3ed3f", Value: "SMTP.Send", Enabled: true},
			{ID: "00000000-0000-0000-0000-0000000000d1", Value: "Retired.Scope", Enabled: false},
		},
		Roles: []graph.Permission{
			{ID: "df021288-bdef-4463-88db-98f22de89214", Value: "User.Read.All", Enabled: true},
			{ID: "b633e1c5-b582-4048-a93e-9f11b44c7e96", Value: "Mail.Send", Enabled: true},
			{ID: "798ee544-9d2d-430c-a058-570e29e34338", Value: "Calendars.Read", Enabled: true},
		},
	}
}

func TestAliasesAndAppIDs(t *testing.T) {
	cases := []struct {
		resource v1.PermissionResource
		appID    string
		name     string
	}{
		{v1.ResourceMicrosoftGraph, v1.MicrosoftGraphAppID, "MicrosoftGraph"},
		{v1.ResourceExchangeOnline, v1.ExchangeOnlineAppID, "ExchangeOnline"},
		{"00000003-0000-0000-C000-000000000000", v1.MicrosoftGraphAppID, "MicrosoftGraph"},
		{"6A4B2C1D-0E9F-4A8B-B7C6-D5E4F3A2B1C0", "6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0", "6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0"},
	}
	for _, c := range cases {
		if got := AppIDOf(c.resource); got != c.appID {
			t.Errorf("AppIDOf(%q) = %q, want %q", c.resource, got, c.appID)
		}
		if got := NameOf(AppIDOf(c.resource)); got != c.name {
			t.Errorf("NameOf(AppIDOf(%q)) = %q, want %q", c.resource, got, c.name)
		}
	}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name                   string
		decl                   v1.ResourcePermissions
		wantDelegated, wantApp []string
		wantMissing            []string
	}{
		{"delegated and application by exact name",
			v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "Mail.Send"}, Application: []v1.PermissionName{"Mail.Send"}},
			[]string{"37f7f235-527c-4136-accd-4a02d197296e", "e383f46e-2787-4529-855e-0e479a3ffac0"},
			[]string{"b633e1c5-b582-4048-a93e-9f11b44c7e96"}, nil},
		{"a name in another case resolves to the published spelling",
			v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"user.read"}},
			[]string{"e1fe6dd8-ba31-4d61-89e7-88639da4683d"}, nil, nil},
		{"the same permission in two spellings is declared once",
			v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"User.Read", "USER.READ"}},
			[]string{"e1fe6dd8-ba31-4d61-89e7-88639da4683d"}, nil, nil},
		{"an unknown name, a scope asked as a role and a disabled scope are all missing",
			v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"Mail.Sendd", "Retired.Scope", "User.Read"}, Application: []v1.PermissionName{"SMTP.Send"}},
			[]string{"e1fe6dd8-ba31-4d61-89e7-88639da4683d"}, nil,
			[]string{`MicrosoftGraph has no delegated permission "Mail.Sendd"`, `MicrosoftGraph has no delegated permission "Retired.Scope"`, `MicrosoftGraph has no application permission "SMTP.Send"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, missing := Resolve(c.decl, graphSP())
			ids := func(ps []graph.Permission) []string {
				var out []string
				for _, p := range ps {
					out = append(out, p.ID)
				}
				return out
			}
			if !slices.Equal(ids(got.Delegated), c.wantDelegated) || !slices.Equal(ids(got.Application), c.wantApp) {
				t.Errorf("resolved delegated %v application %v, want %v and %v", ids(got.Delegated), ids(got.Application), c.wantDelegated, c.wantApp)
			}
			var texts []string
			for _, m := range missing {
				texts = append(texts, m.String())
			}
			if !slices.Equal(texts, c.wantMissing) {
				t.Errorf("missing = %q, want %q", texts, c.wantMissing)
			}
		})
	}
	got, _ := Resolve(v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"user.read"}}, graphSP())
	if names := got.Names(Delegated); !slices.Equal(names, []string{"User.Read"}) {
		t.Errorf("Names() = %v, want the resource's spelling", names)
	}
}
