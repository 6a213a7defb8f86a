package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// deltaClient reads delta pages as raw JSON, to see exactly which properties Graph's answer holds.
type deltaClient struct {
	t     *testing.T
	srv   *emulator.Server
	token string
}

type deltaPage struct {
	Value     []map[string]any `json:"value"`
	NextLink  string           `json:"@odata.nextLink"`
	DeltaLink string           `json:"@odata.deltaLink"`
}

// get fetches one page; a non-200 answer returns its status and OData error code.
func (d deltaClient) get(url string) (deltaPage, int, string) {
	d.t.Helper()
	req, err := http.NewRequestWithContext(ctx(d.t), http.MethodGet, url, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	res, err := d.srv.HTTPClient().Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&e)
		return deltaPage{}, res.StatusCode, e.Error.Code
	}
	var p deltaPage
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		d.t.Fatal(err)
	}
	return p, res.StatusCode, ""
}

// round follows nextLinks from url to the deltaLink and returns every object seen, by ID, and the
// number of pages.
func (d deltaClient) round(url string) (map[string]map[string]any, string, int) {
	d.t.Helper()
	seen := map[string]map[string]any{}
	for pages := 1; ; pages++ {
		p, status, code := d.get(url)
		if status != http.StatusOK {
			d.t.Fatalf("delta page %d: %d %s", pages, status, code)
		}
		for _, o := range p.Value {
			seen[o["id"].(string)] = o
		}
		if p.DeltaLink != "" {
			return seen, p.DeltaLink, pages
		}
		url = p.NextLink
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestDeltaQuery follows Graph's documented delta protocol: a full round in pages, then only what
// changed (changed properties only, new objects in full, removed ones with @removed), $select
// tracking only selected properties, $deltatoken=latest, and expired tokens.
func TestDeltaQuery(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	d := deltaClient{t: t, srv: srv, token: accessToken(t, cred)}
	var ids []string
	for i := range 150 {
		a := newApp(fmt.Sprintf("delta-%03d", i))
		a.SetUniqueName(ptr(fmt.Sprintf("delta-%03d", i)))
		created, err := graphClient(t, srv, cred).Applications().Post(ctx(t), a, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *created.GetId())
	}

	all, deltaLink, pages := d.round(srv.GraphBaseURL() + "/applications/delta()?$select=displayName,uniqueName,web")
	if len(all) != 151 || pages != 2 { // with the seeded operator application
		t.Fatalf("full round: %d applications in %d pages, want 151 in 2", len(all), pages)
	}
	if got := keys(all[ids[0]]); !slices.Equal(got, []string{"displayName", "id", "uniqueName", "web"}) {
		t.Errorf("a full round's object holds %v, want the selected properties and id", got)
	}
	if !strings.Contains(deltaLink, "$deltatoken=") {
		t.Fatalf("deltaLink %s", deltaLink)
	}

	// Nothing changed: an empty page and a new deltaLink.
	none, deltaLink, _ := d.round(deltaLink)
	if len(none) != 0 {
		t.Errorf("no change, yet delta returned %v", none)
	}

	// A rename, a deletion, a creation and an edit of a property that is not selected.
	if err := tenant.UpdateApplication(ids[0], func(a *emulator.Application) { a.DisplayName = "renamed" }); err != nil {
		t.Fatal(err)
	}
	if err := tenant.DeleteApplication(ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := tenant.UpdateApplication(ids[2], func(a *emulator.Application) { a.Notes = ptr("not selected") }); err != nil {
		t.Fatal(err)
	}
	created, err := graphClient(t, srv, cred).Applications().Post(ctx(t), newApp("new one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	changes, deltaLink, _ := d.round(deltaLink)
	if got := changes[ids[0]]; !slices.Equal(keys(got), []string{"displayName", "id"}) || got["displayName"] != "renamed" {
		t.Errorf("renamed application reported as %v, want id and the new displayName only", got)
	}
	if got := changes[ids[1]]; fmt.Sprint(got["@removed"]) != "map[reason:changed]" {
		t.Errorf("deleted application reported as %v, want @removed with reason changed", got)
	}
	if _, ok := changes[ids[2]]; ok {
		t.Error("a change of an unselected property was reported")
	}
	if got := changes[*created.GetId()]; !slices.Equal(keys(got), []string{"displayName", "id", "uniqueName", "web"}) {
		t.Errorf("new application reported as %v, want it in full", got)
	}
	if len(changes) != 3 {
		t.Errorf("delta reported %d objects, want 3: %v", len(changes), changes)
	}
	if again, _, _ := d.round(deltaLink); len(again) != 0 {
		t.Errorf("the next round reported %d objects again, want none: %v", len(again), again)
	}

}

// TestDeltaLatestAndExpiredTokens: $deltatoken=latest skips what came before, and an expired token
// answers 400 syncStateNotFound until a new round starts.
func TestDeltaLatestAndExpiredTokens(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	d := deltaClient{t: t, srv: srv, token: accessToken(t, cred)}
	created, err := graphClient(t, srv, cred).Applications().Post(ctx(t), newApp("before latest"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, deltaLink, _ := d.round(srv.GraphBaseURL() + "/applications/delta")
	id := *created.GetId()

	// $deltatoken=latest skips everything before it.
	latest, latestLink, _ := d.round(srv.GraphBaseURL() + "/applications/delta?$deltatoken=latest&$select=displayName")
	if len(latest) != 0 {
		t.Errorf("$deltatoken=latest returned %d objects, want none", len(latest))
	}
	if err := tenant.UpdateApplication(id, func(a *emulator.Application) { a.DisplayName = "after latest" }); err != nil {
		t.Fatal(err)
	}
	if after, _, _ := d.round(latestLink); len(after) != 1 || after[id]["displayName"] != "after latest" {
		t.Errorf("after $deltatoken=latest: %v, want the one rename", after)
	}

	// Expired sync state: every token answers 400 syncStateNotFound.
	srv.ExpireDeltaTokens()
	if _, status, code := d.get(deltaLink); status != http.StatusBadRequest || code != "syncStateNotFound" {
		t.Errorf("expired deltaLink: %d %s, want 400 syncStateNotFound", status, code)
	}
	if again, _, _ := d.round(srv.GraphBaseURL() + "/applications/delta?$select=displayName"); len(again) != 2 {
		t.Errorf("a new full round after expiry saw %d applications, want 2", len(again))
	}
}

// TestDeltaHoldsBackWhatReplicationLagHides: an application created moments ago is not in the
// round that cannot see it yet, and is in the next one once it can, in full.
func TestDeltaHoldsBackWhatReplicationLagHides(t *testing.T) {
	clock := newFakeClock()
	srv := startServer(t, emulator.Options{Clock: clock.Now})
	tenant, cred := operatorCredential(t, srv)
	d := deltaClient{t: t, srv: srv, token: accessToken(t, cred)}
	srv.SetBehaviour(emulator.Behaviour{ReplicationLag: 10 * time.Second})
	created, err := graphClient(t, srv, cred).Applications().Post(ctx(t), newApp("lagging"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tenant.UpdateApplication(*created.GetId(), func(a *emulator.Application) { a.DisplayName = "lagging, renamed" }); err != nil {
		t.Fatal(err)
	}
	full, fullLink, _ := d.round(srv.GraphBaseURL() + "/applications/delta?$select=displayName")
	if _, ok := full[*created.GetId()]; ok {
		t.Fatal("a full round showed an application replication lag hides")
	}
	clock.Advance(11 * time.Second)
	later, _, _ := d.round(fullLink)
	if got := later[*created.GetId()]; got["displayName"] != "lagging, renamed" {
		t.Errorf("once visible, the next round reported %v, want the application in full", got)
	}
}

// TestAdminEndpoints: a benchmark in another process reads the counters and the applications.
func TestAdminEndpoints(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	d := deltaClient{t: t, srv: srv, token: accessToken(t, cred)}
	d.round(srv.GraphBaseURL() + "/applications/delta")
	get := func(path string, into any) {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, srv.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	var counters emulator.Counters
	get("/_emulator/counters", &counters)
	if counters.ByOperation["application.delta"] != 1 || counters.Reads != 1 {
		t.Errorf("counters %+v, want the one delta read", counters)
	}
	var apps []struct{ ID, AppID string }
	get("/_emulator/applications", &apps)
	if len(apps) != 1 || apps[0].AppID == "" {
		t.Errorf("applications %+v, want the seeded operator application", apps)
	}
}
