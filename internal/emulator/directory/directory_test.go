package directory

import (
	"errors"
	"testing"
	"time"
)

func newTestDirectory(t *testing.T, visible func(time.Time) bool) *Directory {
	t.Helper()
	d, err := New(Config{ID: "11111111-2222-3333-4444-555555555555", Clock: time.Now, Visible: visible})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLookupByKey: applications are found by object ID, appId and uniqueName, service principals
// by object ID and appId, all in any case; other keys find nothing.
func TestLookupByKey(t *testing.T) {
	d := newTestDirectory(t, nil)
	unique := "Crm-1"
	var app *Application
	var sp *ServicePrincipal
	d.Do(func(tx *Tx) {
		app = &Application{ID: "aaaaaaaa-0000-0000-0000-000000000001", AppID: "bbbbbbbb-0000-0000-0000-000000000001", UniqueName: &unique, DisplayName: "crm"}
		NormalizeApplication(app)
		tx.AddApplication(app, time.Now())
		sp = NewServicePrincipalFor(app, d.ID())
		tx.AddServicePrincipal(sp, time.Now())
	})
	cases := []struct {
		key     Key
		wantApp bool
		wantSP  bool
	}{
		{ByID(app.ID), true, false},
		{ByID("AAAAAAAA-0000-0000-0000-000000000001"), true, false},
		{Key{By: "appId", Value: app.AppID}, true, true},
		{Key{By: "APPID", Value: "BBBBBBBB-0000-0000-0000-000000000001"}, true, true},
		{Key{By: "uniqueName", Value: "crm-1"}, true, false},
		{Key{By: "displayName", Value: "crm"}, false, false},
		{ByID(sp.ID), false, true},
		{Key{By: "uniqueName", Value: ""}, false, false},
	}
	for _, tc := range cases {
		d.Do(func(tx *Tx) {
			if got := tx.Application(tc.key); (got == app) != tc.wantApp || (got != nil && got != app) {
				t.Errorf("Application(%v) = %v, want found=%v", tc.key, got, tc.wantApp)
			}
			if got := tx.ServicePrincipal(tc.key); (got == sp) != tc.wantSP || (got != nil && got != sp) {
				t.Errorf("ServicePrincipal(%v) = %v, want found=%v", tc.key, got, tc.wantSP)
			}
		})
	}
}

// TestDeletesCascade: deleting an application deletes its service principal, and with it the
// assignments and grants that name it; the seeded operator keeps its own.
func TestDeletesCascade(t *testing.T) {
	d := newTestDirectory(t, nil)
	clientID, _ := d.AddClient(RoleApplicationReadAll)
	app, _ := d.ApplicationByAppID(clientID)
	sp, _ := d.ServicePrincipalByAppID(clientID)
	d.Do(func(tx *Tx) {
		tx.AddGrant(&OAuth2PermissionGrant{ID: "grant-1", ClientID: sp.ID, ResourceID: d.GraphServicePrincipalID(), ConsentType: "AllPrincipals", Scope: "User.Read"}, time.Now())
	})
	before := len(d.AppRoleAssignments())
	if err := d.DeleteApplication(app.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.ServicePrincipalByAppID(clientID); ok {
		t.Error("the service principal outlived its application")
	}
	if n := len(d.AppRoleAssignments()); n != before-1 {
		t.Errorf("assignments %d -> %d, want the client's one removed", before, n)
	}
	if len(d.OAuth2PermissionGrants()) != 0 {
		t.Error("the grant outlived its client")
	}
	if _, ok := d.ServicePrincipalByAppID(d.OperatorClientID()); !ok {
		t.Error("the operator lost its service principal")
	}
	if err := d.DeleteApplication(app.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

// TestServicePrincipalFollowsItsApplication: a change to an application reaches its service
// principal (names, redirect URIs), and copies handed out are not the stored objects.
func TestServicePrincipalFollowsItsApplication(t *testing.T) {
	d := newTestDirectory(t, nil)
	clientID, _ := d.AddClient()
	app, _ := d.ApplicationByAppID(clientID)
	err := d.UpdateApplication(app.ID, func(a *Application) {
		a.DisplayName = "renamed"
		a.Web.RedirectURIs = []string{"https://crm.example.com/cb"}
		a.ID = "not-changeable"
	})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := d.ServicePrincipalByAppID(clientID)
	if sp.DisplayName != "renamed" || len(sp.ReplyURLs) != 1 || sp.ReplyURLs[0] != "https://crm.example.com/cb" {
		t.Errorf("service principal after the change: %q %v", sp.DisplayName, sp.ReplyURLs)
	}
	got, ok := d.Application(app.ID)
	if !ok || got.Stamp() != app.Stamp() {
		t.Fatalf("the change moved the application or its stamp: ok=%v %v -> %v", ok, app.Stamp(), got.Stamp())
	}
	got.PasswordCredentials[0].KeyID = "changed in a copy"
	got.Owners = append(got.Owners, "someone")
	if again, _ := d.Application(app.ID); again.PasswordCredentials[0].KeyID == "changed in a copy" || len(again.Owners) != 0 {
		t.Error("a copy shares memory with the stored application")
	}
}

// TestConflictingProperty: uniqueName and identifier URIs are unique in the tenant, ignoring case;
// an application does not conflict with itself.
func TestConflictingProperty(t *testing.T) {
	d := newTestDirectory(t, nil)
	name := "crm"
	d.Do(func(tx *Tx) {
		a := &Application{ID: "aaaaaaaa-0000-0000-0000-000000000001", UniqueName: &name, IdentifierURIs: []string{"api://crm"}}
		tx.AddApplication(a, time.Now())
	})
	other := "CRM"
	cases := []struct {
		app  Application
		want string
	}{
		{Application{ID: "new", UniqueName: &other}, "uniqueName"},
		{Application{ID: "new", IdentifierURIs: []string{"API://CRM"}}, "identifierUris"},
		{Application{ID: "aaaaaaaa-0000-0000-0000-000000000001", UniqueName: &name, IdentifierURIs: []string{"api://crm"}}, ""},
		{Application{ID: "new", IdentifierURIs: []string{"api://other"}}, ""},
	}
	for _, tc := range cases {
		d.Do(func(tx *Tx) {
			if got := tx.ConflictingProperty(&tc.app); got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.app, got, tc.want)
			}
		})
	}
}

// TestVisibilityRuleIsTheOneGiven: Tx.Visible asks the rule the directory was given with the
// object's creation time; seeded objects were created long ago.
func TestVisibilityRuleIsTheOneGiven(t *testing.T) {
	cutoff := time.Now().Add(-time.Minute)
	d := newTestDirectory(t, func(created time.Time) bool { return created.Before(cutoff) })
	d.Do(func(tx *Tx) {
		young := &Application{ID: "aaaaaaaa-0000-0000-0000-000000000001"}
		tx.AddApplication(young, time.Now())
		if tx.Visible(young.Stamp()) {
			t.Error("a new object is visible under a rule that hides it")
		}
		if !tx.Visible(tx.GraphServicePrincipal().Stamp()) {
			t.Error("the seeded Graph service principal is hidden")
		}
		list := tx.Applications()
		if list[len(list)-1] != young || list[0].Stamp().Seq >= young.Stamp().Seq {
			t.Error("applications are not listed in creation order")
		}
	})
}
