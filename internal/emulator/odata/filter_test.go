package odata

import (
	"testing"
)

// Entity specs shaped like the Graph API's, so the parser is tested on the kinds of property it
// meets there.
var (
	applicationSpec = &EntitySpec{
		Name: "Application", Type: "microsoft.graph.application",
		Filterable: map[string]PropKind{
			"id": KindString, "appId": KindString, "displayName": KindString, "uniqueName": KindString,
			"signInAudience": KindString, "identifierUris": KindStringCollection, "tags": KindStringCollection,
			"web/redirectUris": KindStringCollection,
		},
		StartsWith: []string{"displayName", "uniqueName"},
		Properties: []string{"id", "appId", "displayName", "uniqueName", "web"},
	}
	grantSpec = &EntitySpec{
		Name: "OAuth2PermissionGrant", Type: "microsoft.graph.oAuth2PermissionGrant",
		Filterable: map[string]PropKind{"id": KindString, "clientId": KindString, "resourceId": KindString, "consentType": KindString},
	}
	servicePrincipalSpec = &EntitySpec{
		Name: "ServicePrincipal", Type: "microsoft.graph.servicePrincipal",
		Filterable: map[string]PropKind{"servicePrincipalNames": KindStringCollection, "accountEnabled": KindBool},
	}
)

// TestParseFilter covers the $filter subset Graph supports on directory
// objects, and the refusals for what it does not.
func TestParseFilter(t *testing.T) {
	app := map[string]any{
		"id": "0b5e1d2c-1111-2222-3333-444455556666", "appId": "9f4c9c1e-aaaa-bbbb-cccc-ddddeeeeffff",
		"displayName": "EspoCRM (production)", "uniqueName": "crm-1", "signInAudience": "AzureADMyOrg",
		"identifierUris": []any{"api://crm", "https://crm.example.com"},
		"web":            map[string]any{"redirectUris": []any{"https://crm.example.com/oauth-callback.php"}},
		"tags":           []any{},
	}
	cases := []struct {
		filter string
		match  bool
	}{
		{"appId eq '9f4c9c1e-aaaa-bbbb-cccc-ddddeeeeffff'", true},
		{"appId eq 9f4c9c1e-aaaa-bbbb-cccc-ddddeeeeffff", true},
		{"appId eq '00000000-0000-0000-0000-000000000000'", false},
		{"displayName eq 'espocrm (production)'", true},
		{"displayName ne 'EspoCRM (production)'", false},
		{"startswith(displayName,'Espo')", true},
		{"startswith(displayName, 'Oro')", false},
		{"endswith(displayName,'(PRODUCTION)')", true},
		{"uniqueName eq 'crm-1'", true},
		{"identifierUris/any(x:x eq 'api://crm')", true},
		{"identifierUris/any(u: u eq 'api://other')", false},
		{"identifierUris/any(x:startswith(x,'https://'))", true},
		{"web/redirectUris/any(r:r eq 'https://crm.example.com/oauth-callback.php')", true},
		{"tags/any(t:t eq 'x')", false},
		{"appId in ('a', '9f4c9c1e-aaaa-bbbb-cccc-ddddeeeeffff')", true},
		{"uniqueName eq 'crm-1' and signInAudience eq 'AzureADMyOrg'", true},
		{"uniqueName eq 'nope' or signInAudience eq 'AzureADMyOrg'", true},
		{"not (uniqueName eq 'crm-1')", false},
		{"(uniqueName eq 'nope' or uniqueName eq 'crm-1') and appId ne 'x'", true},
		{"displayName eq 'it''s'", false},
		{"uniqueName eq null", false},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			expr, err := ParseFilter(tc.filter, applicationSpec)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := expr.Eval(app); got != tc.match {
				t.Errorf("eval = %v, want %v", got, tc.match)
			}
		})
	}
}

func TestParseFilterRefusals(t *testing.T) {
	cases := []struct {
		filter, code string
	}{
		{"notes eq 'x'", "Request_UnsupportedQuery"},
		{"identifierUris eq 'api://crm'", "Request_UnsupportedQuery"},
		{"createdDateTime gt 2020-01-01", "Request_UnsupportedQuery"},
		{"displayName gt 'a'", "Request_UnsupportedQuery"},
		{"startswith(appId,'9f')", "Request_UnsupportedQuery"},
		{"displayName eq", "Request_BadRequest"},
		{"displayName eq 'unterminated", "Request_BadRequest"},
		{"(displayName eq 'a'", "Request_BadRequest"},
		{"displayName eq 'a' extra", "Request_BadRequest"},
		{"displayName eq true", "Request_BadRequest"},
		{"identifierUris/any(x:y eq 'a')", "Request_BadRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			_, err := ParseFilter(tc.filter, applicationSpec)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Code != tc.code || err.Status != 400 {
				t.Errorf("got %d %s (%s), want 400 %s", err.Status, err.Code, err.Message, tc.code)
			}
		})
	}
}

func TestParseFilterOtherEntities(t *testing.T) {
	grant := map[string]any{"clientId": "c1", "resourceId": "r1", "consentType": "AllPrincipals"}
	expr, err := ParseFilter("clientId eq 'c1' and resourceId eq 'r1'", grantSpec)
	if err != nil || !expr.Eval(grant) {
		t.Fatalf("grant filter: %v", err)
	}
	sp := map[string]any{"servicePrincipalNames": []any{"https://graph.microsoft.com"}, "accountEnabled": true}
	expr, err = ParseFilter("servicePrincipalNames/any(n:n eq 'https://graph.microsoft.com') and accountEnabled eq true", servicePrincipalSpec)
	if err != nil || !expr.Eval(sp) {
		t.Fatalf("service principal filter: %v", err)
	}
	if _, err := ParseFilter("displayName eq 'x'", grantSpec); err == nil {
		t.Error("grant filter on displayName accepted")
	}
}

func TestSkipTokenRoundTrip(t *testing.T) {
	seq, err := decodeSkipToken(encodeSkipToken(42))
	if err != nil || seq != 42 {
		t.Fatalf("round trip: %d %v", seq, err)
	}
	if _, err := decodeSkipToken("garbage!"); err == nil {
		t.Error("garbage skip token accepted")
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"appId eq 'x'", "identifierUris/any(x:x eq 'a')", "not (a eq 'b') or startswith(displayName,'c')"} {
		f.Add(s)
	}
	obj := map[string]any{"displayName": "x", "identifierUris": []any{"a"}}
	f.Fuzz(func(_ *testing.T, s string) {
		if expr, err := ParseFilter(s, applicationSpec); err == nil {
			expr.Eval(obj)
		}
	})
}
