package permissions

import (
	"strings"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		text    string
		want    Rule
		wantErr string
	}{
		{"MicrosoftGraph:delegated:User.Read", Rule{v1.MicrosoftGraphAppID, Delegated, "User.Read"}, ""},
		{"MicrosoftGraph:application:User.Read.All", Rule{v1.MicrosoftGraphAppID, Application, "User.Read.All"}, ""},
		{" ExchangeOnline:Application:SMTP.SendAsApp ", Rule{v1.ExchangeOnlineAppID, Application, "SMTP.SendAsApp"}, ""},
		{"6A4B2C1D-0E9F-4A8B-B7C6-D5E4F3A2B1C0:delegated:*", Rule{"6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0", Delegated, Any}, ""},
		{"6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0:delegated:api:read", Rule{"6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0", Delegated, "api:read"}, ""},
		{"MicrosoftGraph:User.Read", Rule{}, "want RESOURCE:KIND:PERMISSION"},
		{"Graph:delegated:User.Read", Rule{}, `resource "Graph" is not`},
		{"MicrosoftGraph:role:User.Read.All", Rule{}, `kind "role" is neither delegated nor application`},
		{"MicrosoftGraph:application:User Read", Rule{}, `"User Read" is not a permission name or *`},
		{"MicrosoftGraph:application:", Rule{}, `"" is not a permission name`},
		{"MicrosoftGraph:application:*.All", Rule{}, "is not a permission name or *"},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got, err := ParseRule(c.text)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("ParseRule(%q) error = %v, want one containing %q", c.text, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseRule(%q) = %+v, %v; want %+v", c.text, got, err, c.want)
			}
		})
	}
}

func TestPolicyAllows(t *testing.T) {
	policy, err := ParsePolicy("MicrosoftGraph:application:User.Read.All,MicrosoftGraph:application:Calendars.Read",
		"MicrosoftGraph:delegated:*", " ", "ExchangeOnline:application:SMTP.SendAsApp")
	if err != nil {
		t.Fatal(err)
	}
	graphRole := func(name string) Ref { return Ref{v1.MicrosoftGraphAppID, Application, name} }
	cases := []struct {
		name string
		ref  Ref
		want bool
	}{
		{"a listed application permission", graphRole("User.Read.All"), true},
		{"a listed one in another case", graphRole("calendars.read"), true},
		{"an application permission not listed", graphRole("Directory.ReadWrite.All"), false},
		{"the delegated twin of an allowed role is a different permission", Ref{v1.ExchangeOnlineAppID, Delegated, "SMTP.SendAsApp"}, false},
		{"the application twin of an allowed delegated wildcard is not allowed", graphRole("Mail.Send"), false},
		{"a delegated wildcard covers every scope of its resource", Ref{v1.MicrosoftGraphAppID, Delegated, "Directory.AccessAsUser.All"}, true},
		{"the wildcard does not reach another resource", Ref{v1.ExchangeOnlineAppID, Delegated, "EWS.AccessAsUser.All"}, false},
		{"an allowed Exchange role", Ref{v1.ExchangeOnlineAppID, Application, "SMTP.SendAsApp"}, true},
		{"an Exchange role of the same name as nothing allowed", Ref{v1.ExchangeOnlineAppID, Application, "full_access_as_app"}, false},
	}
	for _, c := range cases {
		if got := policy.Allows(c.ref); got != c.want {
			t.Errorf("%s: Allows(%s) = %v, want %v", c.name, c.ref, got, c.want)
		}
	}
	refused := policy.Refused([]Ref{graphRole("User.Read.All"), graphRole("Directory.ReadWrite.All"), graphRole("Mail.Send")})
	if len(refused) != 2 || refused[0].Name != "Directory.ReadWrite.All" || refused[1].Name != "Mail.Send" {
		t.Errorf("Refused() = %v", refused)
	}
	if (Policy{}).Allows(graphRole("User.Read.All")) {
		t.Error("the empty policy allowed a permission")
	}
	if got := policy.String(); !strings.Contains(got, "MicrosoftGraph:delegated:*") || !strings.Contains(got, "ExchangeOnline:application:SMTP.SendAsApp") {
		t.Errorf("String() = %q", got)
	}
	if _, err := ParsePolicy("MicrosoftGraph:application:User.Read.All,bogus", "Graph:x:y"); err == nil ||
		!strings.Contains(err.Error(), `"bogus"`) || !strings.Contains(err.Error(), `"Graph:x:y"`) {
		t.Errorf("ParsePolicy did not report every bad rule: %v", err)
	}
}
