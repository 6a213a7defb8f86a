package desired

import (
	"slices"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

func espoSpec() v1.AppRegistrationSpec {
	return v1.AppRegistrationSpec{
		DisplayName:    "EspoCRM",
		SignInAudience: v1.AudienceMultipleOrgs,
		Web: &v1.WebApplication{
			RedirectURIs:  []v1.RedirectURI{"https://crm.example.com/oauth-callback.php", "https://crm.example.com/b"},
			LogoutURL:     "https://crm.example.com/",
			ImplicitGrant: v1.ImplicitGrant{IDTokens: true},
		},
		PublicClient: &v1.PublicClientApplication{AllowPublicClientFlows: true, RedirectURIs: []v1.PublicClientRedirectURI{"msal1://auth"}},
		OptionalClaims: &v1.OptionalClaims{IDToken: []v1.OptionalClaim{
			{Name: "email"}, {Name: "groups", AdditionalProperties: []v1.OptionalClaimProperty{"sam_account_name", "emit_as_roles"}},
		}},
	}
}

func TestApplicationFromSpec(t *testing.T) {
	got := Application(espoSpec())
	if got.DisplayName != "EspoCRM" || got.SignInAudience != "AzureADMultipleOrgs" {
		t.Errorf("name/audience = %q/%q", got.DisplayName, got.SignInAudience)
	}
	if got.GroupMembershipClaims != "None" {
		t.Errorf("unset groupMembershipClaims should be None, got %q", got.GroupMembershipClaims)
	}
	if !got.Web.ImplicitIDTokens || got.Web.ImplicitAccessTokens || got.Web.LogoutURL != "https://crm.example.com/" {
		t.Errorf("web = %+v", got.Web)
	}
	if !got.IsFallbackPublicClient || !slices.Equal(got.PublicClientRedirectURIs, []string{"msal1://auth"}) {
		t.Errorf("public client = %v %v", got.IsFallbackPublicClient, got.PublicClientRedirectURIs)
	}
	if len(got.OptionalClaims.IDToken) != 2 || got.OptionalClaims.IDToken[1].AdditionalProperties[1] != "emit_as_roles" {
		t.Errorf("optional claims = %+v", got.OptionalClaims)
	}
	if got.AccessTokenVersion != 0 {
		t.Errorf("a work-account audience should leave the access token version alone, got %d", got.AccessTokenVersion)
	}
	for _, audience := range []v1.SignInAudience{v1.AudienceOrgsAndPersonal, v1.AudiencePersonal} {
		if v := Application(v1.AppRegistrationSpec{DisplayName: "x", SignInAudience: audience}).AccessTokenVersion; v != 2 {
			t.Errorf("audience %s: access token version %d, want 2", audience, v)
		}
	}
	if empty := Application(v1.AppRegistrationSpec{DisplayName: "x"}); empty.SignInAudience != "AzureADMyOrg" ||
		empty.Web.RedirectURIs != nil || empty.SPARedirectURIs != nil {
		t.Errorf("minimal spec = %+v", empty)
	}
}

func TestDiff(t *testing.T) {
	desired := Application(espoSpec())
	cases := []struct {
		name   string
		change func(*graph.Application)
		want   []graph.Field
	}{
		{"in sync", func(*graph.Application) {}, nil},
		{"redirect URIs reordered", func(a *graph.Application) {
			slices.Reverse(a.Web.RedirectURIs)
		}, nil},
		{"claims and their properties reordered", func(a *graph.Application) {
			slices.Reverse(a.OptionalClaims.IDToken)
			slices.Reverse(a.OptionalClaims.IDToken[0].AdditionalProperties)
		}, nil},
		{"null groupMembershipClaims equals None", func(a *graph.Application) { a.GroupMembershipClaims = "" }, nil},
		{"display name changed in the portal", func(a *graph.Application) { a.DisplayName = "Espo" }, []graph.Field{graph.FieldDisplayName}},
		{"redirect URI added in the portal", func(a *graph.Application) {
			a.Web.RedirectURIs = append(a.Web.RedirectURIs, "https://evil.example.com/cb")
		}, []graph.Field{graph.FieldWeb}},
		{"redirect URI removed", func(a *graph.Application) { a.Web.RedirectURIs = a.Web.RedirectURIs[:1] }, []graph.Field{graph.FieldWeb}},
		{"implicit access tokens switched on", func(a *graph.Application) { a.Web.ImplicitAccessTokens = true }, []graph.Field{graph.FieldWeb}},
		{"logout URL cleared", func(a *graph.Application) { a.Web.LogoutURL = "" }, []graph.Field{graph.FieldWeb}},
		{"spa URI added", func(a *graph.Application) { a.SPARedirectURIs = []string{"https://x/"} }, []graph.Field{graph.FieldSPA}},
		{"public client URI removed", func(a *graph.Application) { a.PublicClientRedirectURIs = nil }, []graph.Field{graph.FieldPublicClient}},
		{"public client flows off", func(a *graph.Application) { a.IsFallbackPublicClient = false }, []graph.Field{graph.FieldIsFallbackPublicClient}},
		{"claim made essential", func(a *graph.Application) { a.OptionalClaims.IDToken[0].Essential = true }, []graph.Field{graph.FieldOptionalClaims}},
		{"claim property dropped", func(a *graph.Application) {
			a.OptionalClaims.IDToken[1].AdditionalProperties = nil
		}, []graph.Field{graph.FieldOptionalClaims}},
		{"access token claim added", func(a *graph.Application) {
			a.OptionalClaims.AccessToken = []graph.OptionalClaim{{Name: "upn"}}
		}, []graph.Field{graph.FieldOptionalClaims}},
		{"access token version set elsewhere is left alone", func(a *graph.Application) { a.AccessTokenVersion = 1 }, nil},
		{"groups claim switched on and audience widened", func(a *graph.Application) {
			a.GroupMembershipClaims = "All"
			a.SignInAudience = "AzureADandPersonalMicrosoftAccount"
		}, []graph.Field{graph.FieldSignInAudience, graph.FieldGroupMembershipClaims}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			observed := clone(desired)
			c.change(&observed)
			if got := Diff(desired, observed); !slices.Equal(got, c.want) {
				t.Errorf("Diff() = %v, want %v", got, c.want)
			}
		})
	}
}

func clone(a graph.Application) graph.Application {
	a.Web.RedirectURIs = slices.Clone(a.Web.RedirectURIs)
	a.SPARedirectURIs = slices.Clone(a.SPARedirectURIs)
	a.PublicClientRedirectURIs = slices.Clone(a.PublicClientRedirectURIs)
	ids := make([]graph.OptionalClaim, len(a.OptionalClaims.IDToken))
	for i, c := range a.OptionalClaims.IDToken {
		c.AdditionalProperties = slices.Clone(c.AdditionalProperties)
		ids[i] = c
	}
	a.OptionalClaims.IDToken = ids
	return a
}

func TestUniqueNameIsStablePerUID(t *testing.T) {
	uid := "4b0e5c2a-7d1f-4e0b-9f0e-2f8f3c1d9a77"
	if got := UniqueName(uid); got != "entra-sso-operator-"+uid {
		t.Errorf("UniqueName(%q) = %q", uid, got)
	}
	if UniqueName("a") == UniqueName("b") {
		t.Error("two UIDs share a unique name")
	}
}

func TestDiffWantsV2TokensForPersonalAccounts(t *testing.T) {
	spec := espoSpec()
	spec.SignInAudience = v1.AudienceOrgsAndPersonal
	want := Application(spec)
	observed := clone(Application(espoSpec())) // still multi-org, tokens v1 (null)
	if got := Diff(want, observed); !slices.Equal(got, []graph.Field{graph.FieldSignInAudience, graph.FieldAPI}) {
		t.Errorf("Diff() = %v, want signInAudience and api in one write", got)
	}
	observed.SignInAudience, observed.AccessTokenVersion = want.SignInAudience, 2
	if got := Diff(want, observed); len(got) != 0 {
		t.Errorf("Diff() = %v once in sync", got)
	}
}

func TestUIDFromUniqueName(t *testing.T) {
	cases := []struct {
		name, uid string
		ok        bool
	}{
		{UniqueName("0f7c-uid"), "0f7c-uid", true},
		{"Entra-SSO-Operator-ABC", "abc", true},
		{"entra-sso-operator-", "", false},
		{"someone-elses-app", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		uid, ok := UIDFromUniqueName(c.name)
		if uid != c.uid || ok != c.ok || IsUniqueName(c.name) != c.ok {
			t.Errorf("UIDFromUniqueName(%q) = %q, %v; want %q, %v", c.name, uid, ok, c.uid, c.ok)
		}
	}
}
