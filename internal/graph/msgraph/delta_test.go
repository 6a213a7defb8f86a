package msgraph

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

func TestParseApplicationDeltaPage(t *testing.T) {
	cases := []struct {
		name    string
		raw     string
		wantErr bool
		check   func(t *testing.T, p graph.DeltaPage[graph.ApplicationChange])
	}{
		{name: "new, changed to null, removed", raw: `{"@odata.context":"x","@odata.deltaLink":"https://g/v1.0/applications/delta?$deltatoken=abc","value":[
			{"id":"1","appId":"a1","uniqueName":"u1","displayName":"One","web":{"redirectUris":["https://x/cb"],"logoutUrl":null}},
			{"id":"2","groupMembershipClaims":null},
			{"id":"3","@removed":{"reason":"changed"}}]}`,
			check: func(t *testing.T, p graph.DeltaPage[graph.ApplicationChange]) {
				if p.DeltaLink == "" || p.NextLink != "" || len(p.Changes) != 3 {
					t.Fatalf("page %+v", p)
				}
				full, partial, gone := p.Changes[0], p.Changes[1], p.Changes[2]
				if full.App.DisplayName != "One" || full.App.UniqueName != "u1" || !slices.Equal(full.App.Web.RedirectURIs, []string{"https://x/cb"}) ||
					!slices.Equal(full.Properties, []string{"appId", "displayName", "id", "uniqueName", "web"}) {
					t.Errorf("new application %+v", full)
				}
				if !slices.Equal(partial.Properties, []string{"groupMembershipClaims", "id"}) || partial.App.GroupMembershipClaims != "" {
					t.Errorf("a property changed to null: %+v", partial)
				}
				if !gone.Removed || gone.ObjectID != "3" || len(gone.Properties) != 0 {
					t.Errorf("removed application %+v", gone)
				}
			}},
		{name: "a page that goes on", raw: `{"@odata.nextLink":"https://g/next","value":[]}`,
			check: func(t *testing.T, p graph.DeltaPage[graph.ApplicationChange]) {
				if p.NextLink != "https://g/next" || p.DeltaLink != "" || len(p.Changes) != 0 {
					t.Errorf("page %+v", p)
				}
			}},
		{name: "no link", raw: `{"value":[]}`, wantErr: true},
		{name: "both links", raw: `{"@odata.nextLink":"a","@odata.deltaLink":"b","value":[]}`, wantErr: true},
		{name: "an entry without id", raw: `{"@odata.deltaLink":"b","value":[{"displayName":"x"}]}`, wantErr: true},
		{name: "not JSON", raw: `<html>`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseDeltaPage([]byte(tc.raw), opApplicationDelta, applicationChangeFrom)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if graph.KindOf(err) != graph.KindUnavailable {
					t.Errorf("a malformed page is %v, want Unavailable (retried)", graph.KindOf(err))
				}
				return
			}
			tc.check(t, p)
		})
	}
}

func TestParseServicePrincipalDeltaPage(t *testing.T) {
	p, err := parseDeltaPage([]byte(`{"@odata.deltaLink":"d","value":[{"id":"s1","appId":"a1"},{"id":"s2","@removed":{"reason":"deleted"}}]}`),
		opServicePrincipalDelta, servicePrincipalChangeFrom)
	if err != nil {
		t.Fatal(err)
	}
	want := []graph.ServicePrincipalChange{{ObjectID: "s1", AppID: "a1"}, {ObjectID: "s2", Removed: true}}
	if !slices.Equal(p.Changes, want) {
		t.Errorf("changes %+v, want %+v", p.Changes, want)
	}
}

// TestExpiredDeltaStateIsResyncRequired: Graph's answer to a link whose state is gone tells the
// caller to start over, and a write reports its application to OnWrite.
func TestExpiredDeltaStateIsResyncRequired(t *testing.T) {
	client, hits, _ := graphStub(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"code":"syncStateNotFound","message":"The sync state could not be found."}}`))
	})
	_, err := client.ApplicationDelta(context.Background(), "")
	if graph.KindOf(err) != graph.KindResyncRequired {
		t.Fatalf("err = %v (%v), want ResyncRequired", err, graph.KindOf(err))
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1 (no retry of a 400)", hits.Load())
	}
	var written []string
	client.onWrite = func(_ context.Context, name string) { written = append(written, name) }
	_ = client.UpdateApplication(context.Background(), "entra-sso-operator-x", graph.Application{DisplayName: "x"}, []graph.Field{graph.FieldDisplayName})
	if !slices.Equal(written, []string{"entra-sso-operator-x"}) {
		t.Errorf("OnWrite saw %v", written)
	}
}
