package odata

import (
	"net/url"
	"slices"
	"testing"
)

// TestParseList: the options a collection GET accepts, and Graph's refusals of the rest.
func TestParseList(t *testing.T) {
	cases := []struct {
		query    string
		selected []string
		top      int
		after    int64
		code     string // the refusal's error code, "" when accepted
	}{
		{query: "", top: 100},
		{query: "$select=displayName,APPID,appId", selected: []string{"displayName", "appId"}, top: 100},
		{query: "$select=notAProperty", code: CodeBadRequest},
		{query: "$top=1", top: 1},
		{query: "$top=999", top: 999},
		{query: "$top=1000", code: CodeRequestBadRequest},
		{query: "$top=0", code: CodeRequestBadRequest},
		{query: "$top=ten", code: CodeRequestBadRequest},
		{query: "$skiptoken=" + encodeSkipToken(42), top: 100, after: 42},
		{query: "$skiptoken=garbage!", code: CodeRequestBadRequest},
		{query: "$filter=appId eq 'x'&$top=5", top: 5},
		{query: "$filter=notes eq 'x'", code: CodeUnsupportedQuery},
		{query: "$orderby=displayName", code: CodeUnsupportedQuery},
		{query: "$count=true", code: CodeUnsupportedQuery},
		{query: "$expand=owners", code: CodeUnsupportedQuery},
		{query: "$unknown=1", code: CodeBadRequest},
		{query: "api-version=1.6", top: 100},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, gerr := ParseList(q, applicationSpec)
			if tc.code != "" {
				if gerr == nil || gerr.Code != tc.code || gerr.Status != 400 {
					t.Fatalf("got %+v, %v; want 400 %s", got, gerr, tc.code)
				}
				return
			}
			if gerr != nil {
				t.Fatalf("refused: %v", gerr)
			}
			if !slices.Equal(got.Selected, tc.selected) || got.top != tc.top || got.afterSeq != tc.after {
				t.Errorf("got select=%v top=%d after=%d", got.Selected, got.top, got.afterSeq)
			}
		})
	}
}

// TestParseSingle: an entity GET takes $select only.
func TestParseSingle(t *testing.T) {
	cases := []struct {
		query    string
		selected []string
		code     string
	}{
		{query: "", selected: nil},
		{query: "$select=web,id", selected: []string{"web", "id"}},
		{query: "$select=secretText", code: CodeBadRequest},
		{query: "$expand=owners", code: CodeUnsupportedQuery},
		{query: "$top=1", code: CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, gerr := ParseSingle(q, applicationSpec)
			switch {
			case tc.code != "" && (gerr == nil || gerr.Code != tc.code):
				t.Fatalf("got %v, %v; want %s", got, gerr, tc.code)
			case tc.code == "" && (gerr != nil || !slices.Equal(got, tc.selected)):
				t.Fatalf("got %v, %v; want %v", got, gerr, tc.selected)
			}
		})
	}
}

// TestPage: pages follow creation order from the skip token, filter before cutting, project the
// selection (keeping id), and hand out a skip token only when more remain.
func TestPage(t *testing.T) {
	items := make([]Item, 0, 5)
	for _, seq := range []int64{5, 1, 4, 2, 3} {
		items = append(items, Item{Seq: seq, Object: map[string]any{"id": string(rune('a' + seq - 1)), "displayName": "x", "uniqueName": "u"}})
	}
	cases := []struct {
		query   string
		ids     []string
		more    bool
		afterID string
	}{
		{query: "", ids: []string{"a", "b", "c", "d", "e"}},
		{query: "$top=2", ids: []string{"a", "b"}, more: true, afterID: "b"},
		{query: "$top=2&$skiptoken=" + encodeSkipToken(2), ids: []string{"c", "d"}, more: true, afterID: "d"},
		{query: "$top=2&$skiptoken=" + encodeSkipToken(4), ids: []string{"e"}},
		{query: "$filter=id in ('b','e')&$top=1", ids: []string{"b"}, more: true, afterID: "b"},
		{query: "$top=5", ids: []string{"a", "b", "c", "d", "e"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query + "&$select=displayName")
			lq, gerr := ParseList(q, applicationSpec)
			if gerr != nil {
				t.Fatal(gerr)
			}
			page, skip := lq.Page(slices.Clone(items))
			var ids []string
			for _, obj := range page {
				ids = append(ids, obj["id"].(string))
				if _, kept := obj["uniqueName"]; kept || obj["displayName"] != "x" {
					t.Errorf("projection of %v: %v", obj["id"], obj)
				}
			}
			if !slices.Equal(ids, tc.ids) || (skip != "") != tc.more {
				t.Fatalf("page %v, skip token %q; want %v, more=%v", ids, skip, tc.ids, tc.more)
			}
			if tc.more {
				seq, err := decodeSkipToken(skip)
				if err != nil || string(rune('a'+seq-1)) != tc.afterID {
					t.Errorf("skip token resumes after %d (%v), want after %s", seq, err, tc.afterID)
				}
			}
		})
	}
}
