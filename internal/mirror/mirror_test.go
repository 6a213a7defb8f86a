package mirror

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

const prefix = "entra-sso-operator-"

func managed(name string) bool { return strings.HasPrefix(name, prefix) }

// every property a new application arrives with.
var fullProps = func() []string {
	out := []string{"id", "appId", "uniqueName"}
	for _, f := range graph.ManagedFields {
		out = append(out, string(f))
	}
	return out
}()

func app(n string) graph.Application {
	return graph.Application{ObjectID: "obj-" + n, AppID: "app-" + n, UniqueName: prefix + n, DisplayName: "App " + n,
		Web: graph.Web{RedirectURIs: []string{"https://" + n + "/cb"}}}
}

func newApp(n string) graph.ApplicationChange {
	return graph.ApplicationChange{ObjectID: "obj-" + n, Properties: fullProps, App: app(n)}
}

// primedStore is a fresh mirror holding applications a and b, b with its service principal.
func primedStore(t *testing.T) *Store {
	t.Helper()
	s := NewStore(nil, managed, time.Hour)
	s.ReplaceApplications([]graph.ApplicationChange{newApp("a"), newApp("b")}, s.WriteMark())
	s.ReplaceServicePrincipals([]graph.ServicePrincipalChange{{ObjectID: "sp-b", AppID: "app-b"}, {ObjectID: "sp-x", AppID: "someone-else"}}, s.WriteMark())
	s.markSynced()
	return s
}

func TestApplyApplications(t *testing.T) {
	renamed := app("a")
	renamed.DisplayName = "renamed"
	cases := []struct {
		name        string
		changes     []graph.ApplicationChange
		writeFirst  string // an own write of this app after the page's mark
		wantChanged []string
		check       func(t *testing.T, s *Store)
	}{
		{name: "a changed property is merged, the rest kept",
			changes:     []graph.ApplicationChange{{ObjectID: "obj-a", Properties: []string{"displayName", "id"}, App: graph.Application{ObjectID: "obj-a", DisplayName: "renamed"}}},
			wantChanged: []string{prefix + "a"},
			check: func(t *testing.T, s *Store) {
				got, ok := s.Application(prefix + "a")
				if !ok || !sameApplication(got, renamed) {
					t.Errorf("got %+v %v, want %+v", got, ok, renamed)
				}
			}},
		{name: "a property changed to null clears it",
			changes:     []graph.ApplicationChange{{ObjectID: "obj-a", Properties: []string{"id", "web"}, App: graph.Application{ObjectID: "obj-a"}}},
			wantChanged: []string{prefix + "a"},
			check: func(t *testing.T, s *Store) {
				if got, _ := s.Application(prefix + "a"); len(got.Web.RedirectURIs) != 0 {
					t.Errorf("web not cleared: %+v", got.Web)
				}
			}},
		{name: "an echo of what the mirror holds changes nothing (empty equals missing)",
			changes: []graph.ApplicationChange{{ObjectID: "obj-a", Properties: []string{"id", "spa", "displayName"},
				App: graph.Application{ObjectID: "obj-a", DisplayName: "App a", SPARedirectURIs: []string{}}}}},
		{name: "a repeated new application changes nothing", changes: []graph.ApplicationChange{newApp("a")}},
		{name: "a new managed application is added", changes: []graph.ApplicationChange{newApp("c")}, wantChanged: []string{prefix + "c"},
			check: func(t *testing.T, s *Store) {
				if _, ok := s.Application(prefix + "c"); !ok {
					t.Error("c not mirrored")
				}
			}},
		{name: "someone else's application is not kept",
			changes: []graph.ApplicationChange{{ObjectID: "obj-z", Properties: fullProps, App: graph.Application{ObjectID: "obj-z", UniqueName: "other-z"}}}},
		{name: "a partial entry for an unknown application is ignored",
			changes: []graph.ApplicationChange{{ObjectID: "obj-q", Properties: []string{"displayName", "id"}}}},
		{name: "a removed application is forgotten with its service principal",
			changes: []graph.ApplicationChange{{ObjectID: "OBJ-B", Removed: true}}, wantChanged: []string{prefix + "b"},
			check: func(t *testing.T, s *Store) {
				if _, ok := s.Application(prefix + "b"); ok {
					t.Error("b still mirrored")
				}
				if _, ok := s.ServicePrincipal("app-b"); ok {
					t.Error("b's service principal still mirrored")
				}
			}},
		{name: "a property the mirror cannot merge makes the entry stale",
			changes:     []graph.ApplicationChange{{ObjectID: "obj-a", Properties: []string{"id", "notes"}}},
			wantChanged: []string{prefix + "a"},
			check: func(t *testing.T, s *Store) {
				if _, ok := s.Application(prefix + "a"); ok {
					t.Error("a stale entry answered")
				}
			}},
		{name: "a page older than an own write is not trusted for that application",
			changes:    []graph.ApplicationChange{{ObjectID: "obj-a", Properties: []string{"displayName", "id"}, App: graph.Application{DisplayName: "old"}}},
			writeFirst: prefix + "a", wantChanged: []string{prefix + "a"},
			check: func(t *testing.T, s *Store) {
				if _, ok := s.Application(prefix + "a"); ok {
					t.Error("an entry the page raced with answered")
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := primedStore(t)
			mark := s.WriteMark()
			if tc.writeFirst != "" {
				s.MergeWrite(tc.writeFirst, app("a"), []graph.Field{graph.FieldWeb})
			}
			got := s.ApplyApplications(tc.changes, mark)
			if !slices.Equal(got, tc.wantChanged) {
				t.Errorf("changed %v, want %v", got, tc.wantChanged)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

func TestReplaceApplications(t *testing.T) {
	s := primedStore(t)
	mark := s.WriteMark()
	// Created by the operator while the round ran: not in the round, kept, but stale.
	s.PutApplication(app("own"))
	changedA := newApp("a")
	changedA.App.DisplayName = "changed while the token was expired"
	got := s.ReplaceApplications([]graph.ApplicationChange{changedA, newApp("c")}, mark)
	want := []string{prefix + "a", prefix + "b", prefix + "c"}
	if !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v (a changed, b gone, c new)", got, want)
	}
	if _, ok := s.Application(prefix + "b"); ok {
		t.Error("b is gone from Graph but still mirrored")
	}
	if a, _ := s.Application(prefix + "a"); a.DisplayName != changedA.App.DisplayName {
		t.Errorf("a = %+v", a)
	}
	if _, ok := s.Application(prefix + "own"); !ok {
		t.Error("an application the operator created during the round was dropped")
	}
}

func TestServicePrincipals(t *testing.T) {
	s := primedStore(t)
	if _, ok := s.ServicePrincipal("someone-else"); ok {
		t.Error("a service principal of an application the operator does not manage was kept")
	}
	if sp, ok := s.ServicePrincipal("app-b"); !ok || sp.ObjectID != "sp-b" {
		t.Errorf("b's service principal: %+v %v", sp, ok)
	}
	got := s.ApplyServicePrincipals([]graph.ServicePrincipalChange{{ObjectID: "sp-a", AppID: "app-a"}, {ObjectID: "sp-b", Removed: true}}, s.WriteMark())
	if !slices.Equal(got, []string{prefix + "b"}) {
		t.Errorf("changed %v, want b (its service principal was deleted)", got)
	}
	if _, ok := s.ServicePrincipal("app-a"); !ok {
		t.Error("a's new service principal not mirrored")
	}
	mark := s.WriteMark()
	s.PutServicePrincipal(graph.ServicePrincipal{ObjectID: "sp-b2", AppID: "app-b"})
	if got := s.ReplaceServicePrincipals(nil, mark); !slices.Equal(got, []string{prefix + "a"}) {
		t.Errorf("a full round without any: changed %v, want a (b's was created during the round)", got)
	}
}

func TestFreshness(t *testing.T) {
	now := time.Now()
	s := NewStore(func() time.Time { return now }, managed, time.Minute)
	s.PutApplication(app("a"))
	if _, ok := s.Application(prefix + "a"); ok {
		t.Error("an unprimed mirror answered")
	}
	s.markSynced()
	if _, ok := s.Application(prefix + "a"); !ok {
		t.Error("a primed, fresh mirror did not answer")
	}
	now = now.Add(2 * time.Minute)
	if s.Fresh() {
		t.Error("a mirror not polled for twice staleAfter is fresh")
	}
	s.markSynced()
	s.markBroken()
	if s.Fresh() {
		t.Error("a mirror whose delta state Graph dropped is fresh")
	}
}

// fakeGraph is the Graph behind a mirror Client: it records the calls that reached it.
type fakeGraph struct {
	graph.Client
	calls []string
	app   graph.Application
	err   error
}

func (f *fakeGraph) GetApplication(context.Context, string) (graph.Application, error) {
	f.calls = append(f.calls, "get")
	return f.app, f.err
}

func (f *fakeGraph) UpdateApplication(context.Context, string, graph.Application, []graph.Field) error {
	f.calls = append(f.calls, "update")
	return f.err
}

func (f *fakeGraph) GetServicePrincipal(context.Context, string) (graph.ServicePrincipal, error) {
	f.calls = append(f.calls, "getSP")
	return graph.ServicePrincipal{}, f.err
}

func TestClientReadsTheMirrorAndWritesThrough(t *testing.T) {
	s := primedStore(t)
	g := &fakeGraph{app: app("a")}
	c := NewClient(g, s)
	ctx := context.Background()
	if _, err := c.GetApplication(ctx, prefix+"a"); err != nil || len(g.calls) != 0 {
		t.Fatalf("a fresh mirror's application read reached Graph: %v %v", g.calls, err)
	}
	if _, err := c.GetServicePrincipal(ctx, "app-b"); err != nil || len(g.calls) != 0 {
		t.Fatalf("a fresh mirror's service principal read reached Graph: %v %v", g.calls, err)
	}
	if _, err := c.GetApplication(DirectReads(ctx), prefix+"a"); err != nil || !slices.Equal(g.calls, []string{"get"}) {
		t.Fatalf("a direct read did not reach Graph: %v", g.calls)
	}
	want := app("a")
	want.DisplayName = "new name"
	if err := c.UpdateApplication(ctx, prefix+"a", want, []graph.Field{graph.FieldDisplayName}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Application(prefix + "a"); got.DisplayName != "new name" {
		t.Errorf("the write did not reach the mirror: %+v", got)
	}
	g.err = errors.New("boom")
	_ = c.UpdateApplication(ctx, prefix+"a", want, []graph.Field{graph.FieldDisplayName})
	if _, ok := s.Application(prefix + "a"); ok {
		t.Error("after a failed write the mirror still answers for the application")
	}
	s.OnWrite(ctx, prefix+"b")
	if _, ok := s.Application(prefix + "b"); ok {
		t.Error("a write the mirror does not model left it answering for the application")
	}
}

// scriptedDelta answers delta pages from a script.
type scriptedDelta struct {
	apps  []func(link string) (graph.DeltaPage[graph.ApplicationChange], error)
	links []string
}

func (d *scriptedDelta) ApplicationDelta(_ context.Context, link string) (graph.DeltaPage[graph.ApplicationChange], error) {
	d.links = append(d.links, link)
	next := d.apps[0]
	d.apps = d.apps[1:]
	return next(link)
}

func (d *scriptedDelta) ServicePrincipalDelta(context.Context, string) (graph.DeltaPage[graph.ServicePrincipalChange], error) {
	return graph.DeltaPage[graph.ServicePrincipalChange]{DeltaLink: "sp-delta"}, nil
}

func page(next, delta string, changes ...graph.ApplicationChange) func(string) (graph.DeltaPage[graph.ApplicationChange], error) {
	return func(string) (graph.DeltaPage[graph.ApplicationChange], error) {
		return graph.DeltaPage[graph.ApplicationChange]{Changes: changes, NextLink: next, DeltaLink: delta}, nil
	}
}

func TestPollerFollowsLinksAndStartsOverWhenTheStateIsGone(t *testing.T) {
	renamed := graph.ApplicationChange{ObjectID: "obj-a", Properties: []string{"displayName", "id"}, App: graph.Application{DisplayName: "renamed"}}
	d := &scriptedDelta{apps: []func(string) (graph.DeltaPage[graph.ApplicationChange], error){
		page("next-1", "", newApp("a")),
		page("", "delta-1", newApp("b")),
		page("", "delta-2", renamed),
		func(string) (graph.DeltaPage[graph.ApplicationChange], error) {
			return graph.DeltaPage[graph.ApplicationChange]{}, &graph.Error{Kind: graph.KindResyncRequired, Status: 400, Code: "syncStateNotFound"}
		},
		page("", "delta-3", newApp("b")),
	}}
	s := NewStore(nil, managed, time.Hour)
	var changed [][]string
	primed := 0
	p := &Poller{Delta: d, Store: s, Log: logr.Discard(), OnChange: func(n []string) { changed = append(changed, n) }, OnPrimed: func() { primed++ }}
	ctx := context.Background()
	for range 3 {
		if err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"", "next-1", "delta-1", "delta-2", ""}; !slices.Equal(d.links, want) {
		t.Errorf("links followed %q, want %q", d.links, want)
	}
	if primed != 1 {
		t.Errorf("primed %d times, want once", primed)
	}
	want := [][]string{{prefix + "a", prefix + "b"}, {prefix + "a"}, {prefix + "a"}}
	if len(changed) != len(want) {
		t.Fatalf("changes reported %v, want %v", changed, want)
	}
	for i := range want {
		if !slices.Equal(changed[i], want[i]) {
			t.Errorf("poll %d reported %v, want %v", i, changed[i], want[i])
		}
	}
	if _, ok := s.Application(prefix + "a"); ok {
		t.Error("a, gone in the full round after the state was lost, is still mirrored")
	}
	if !s.Fresh() {
		t.Error("the mirror is not fresh after a completed full round")
	}
}
