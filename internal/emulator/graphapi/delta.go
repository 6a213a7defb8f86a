package graphapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// Delta query (GET /applications/delta, GET /servicePrincipals/delta), as Graph documents it for
// directory objects:
//   - The first request, without a token, starts a full round: every object, in pages linked by
//     @odata.nextLink; the last page carries @odata.deltaLink. Query options ($select) go on the first
//     request only; the links carry them on.
//   - A deltaLink returns what changed since it was issued: new objects in full, changed ones as id
//     plus the selected properties that changed, removed ones as id with @removed {reason}. Changes
//     to properties that are not selected are not tracked. Objects appear in ID order, not in the
//     order they changed, and an object that changes while a round pages may appear in this round
//     and again in the next (duplicates, as Graph warns).
//   - $deltatoken=latest returns no objects, only a deltaLink for changes from now on.
//   - Objects that replication lag still hides are held back, and the deltaLink is set before their
//     change, so they come in a later round instead of never.
//   - A token older than its lifetime, or issued before Faults.ExpireDeltaTokens, answers 400
//     syncStateNotFound: the client must start a full round again.

// deltaPageSize is how many objects one delta page holds.
const deltaPageSize = 100

// codeSyncStateNotFound is Graph's error code for delta state it no longer has.
const codeSyncStateNotFound = "syncStateNotFound"

// deltaState is what a delta token carries: opaque to clients, as Graph's tokens are.
type deltaState struct {
	// Since is the change position the round reports changes after; Full marks a full round (every
	// object) rather than changes. Upto is the change position when the round began: the next round
	// reports what changed after it.
	Since int64 `json:"s"`
	Upto  int64 `json:"u,omitempty"`
	Full  bool  `json:"f,omitempty"`
	// After is the last object ID the previous page returned.
	After string `json:"a,omitempty"`
	// Hidden is the earliest change position of an object held back because replication lag hides it.
	Hidden int64 `json:"h,omitempty"`
	// Select is the first request's $select.
	Select []string `json:"sel,omitempty"`
	// Issued is when the round's first request came (UnixNano), for the token's lifetime.
	Issued int64 `json:"i"`
}

func (s deltaState) encode() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic("graphapi: encode delta state: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeDeltaState(tok string) (deltaState, bool) {
	var s deltaState
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &s) != nil || s.Issued == 0 {
		return deltaState{}, false
	}
	return s, true
}

// deltaOf serves delta query for one kind of object.
func deltaOf(kind directory.ChangeKind, set string) handler {
	return func(c *call) (reply, *odata.Error) {
		st, latest, gerr := c.deltaRequest()
		if gerr != nil {
			return reply{}, gerr
		}
		if latest {
			st = deltaState{Since: c.tx.ChangeSeq(), Select: st.Select, Issued: c.now.UnixNano()}
			return deltaPage(c, set, st, []map[string]any{}, "")
		}
		if st.After == "" && st.Upto == 0 {
			// The round's first page: what changes from now on belongs to the next round.
			st.Upto = c.tx.ChangeSeq()
		}
		items, more := c.deltaItems(kind, &st)
		next := ""
		if more {
			next = st.encode()
		} else {
			since := st.Upto
			if st.Hidden > 0 && st.Hidden-1 < since {
				since = st.Hidden - 1
			}
			st = deltaState{Since: since, Select: st.Select, Issued: c.now.UnixNano()}
		}
		return deltaPage(c, set, st, items, next)
	}
}

// deltaRequest reads the request's token, or its query options when it starts a round.
func (c *call) deltaRequest() (st deltaState, latest bool, gerr *odata.Error) {
	q := c.r.URL.Query()
	for key := range q {
		switch key {
		case "$select", "$deltatoken", "$skiptoken":
		default:
			if strings.HasPrefix(key, "$") {
				return st, false, odata.UnsupportedQuery("The query option '%s' is not supported by this emulator for delta query.", key)
			}
		}
	}
	tok, isSkip := q.Get("$deltatoken"), false
	if s := q.Get("$skiptoken"); s != "" {
		tok, isSkip = s, true
	}
	if tok == "" || tok == "latest" {
		sel, gerr := odata.ParseSingle(url.Values{"$select": q["$select"]}, c.route.Entity)
		st = deltaState{Full: true, Select: sel, Issued: c.now.UnixNano()}
		return st, tok == "latest", gerr
	}
	st, ok := decodeDeltaState(tok)
	switch {
	case !ok:
		return st, false, odata.BadRequest("The delta token '%s' is not valid.", tok)
	case !c.faults.DeltaTokenValid(time.Unix(0, st.Issued)):
		return st, false, &odata.Error{Status: http.StatusBadRequest, Code: codeSyncStateNotFound,
			Message: "The sync state could not be found or has expired. Start a new sync without a token."}
	case !isSkip && (st.Full || st.After != ""):
		return st, false, odata.BadRequest("The delta token '%s' is not valid.", tok)
	}
	return st, false, nil
}

// deltaItems returns the next page of a round and whether more follow, advancing st past it.
func (c *call) deltaItems(kind directory.ChangeKind, st *deltaState) ([]map[string]any, bool) {
	var candidates []directory.Change
	if st.Full {
		for _, id := range c.liveIDs(kind) {
			candidates = append(candidates, c.tx.ChangeOf(kind, id))
		}
	} else {
		candidates = c.tx.ChangesSince(kind, st.Since)
	}
	items := []map[string]any{}
	for _, ch := range candidates {
		if ch.ID <= st.After {
			continue
		}
		if len(items) == deltaPageSize {
			return items, true
		}
		st.After = ch.ID
		if ch.Removed != "" {
			items = append(items, map[string]any{"id": ch.ID, "@removed": map[string]any{"reason": ch.Removed}})
			continue
		}
		obj, stamp := c.deltaObject(kind, ch.ID)
		if obj == nil {
			continue
		}
		if !c.tx.Visible(stamp) {
			// Only a young object is hidden: the next round must report it from its creation on.
			if st.Hidden == 0 || ch.CreatedSeq < st.Hidden {
				st.Hidden = ch.CreatedSeq
			}
			continue
		}
		full := odata.ToMap(obj)
		if ch.Created {
			items = append(items, odata.Project(full, st.Select))
			continue
		}
		changed := map[string]any{"id": full["id"]}
		for _, p := range ch.Properties {
			if len(st.Select) == 0 || slices.Contains(st.Select, p) {
				changed[p] = full[p]
			}
		}
		if len(changed) > 1 {
			items = append(items, changed)
		}
	}
	return items, false
}

// liveIDs lists the object IDs of a kind, in the ID order delta pages follow.
func (c *call) liveIDs(kind directory.ChangeKind) []string {
	var ids []string
	switch kind {
	case directory.ChangeApplications:
		for _, a := range c.tx.Applications() {
			ids = append(ids, strings.ToLower(a.ID))
		}
	case directory.ChangeServicePrincipals:
		for _, sp := range c.tx.ServicePrincipals() {
			ids = append(ids, strings.ToLower(sp.ID))
		}
	}
	slices.Sort(ids)
	return ids
}

// deltaObject finds a live object of a kind with its stamp.
func (c *call) deltaObject(kind directory.ChangeKind, id string) (any, directory.Stamp) {
	switch kind {
	case directory.ChangeApplications:
		if a := c.tx.Application(directory.ByID(id)); a != nil {
			return a, a.Stamp()
		}
	case directory.ChangeServicePrincipals:
		if sp := c.tx.ServicePrincipal(directory.ByID(id)); sp != nil {
			return sp, sp.Stamp()
		}
	}
	return nil, directory.Stamp{}
}

// deltaPage answers with one page: a nextLink when next is set, else a deltaLink for st.
func deltaPage(c *call, set string, st deltaState, items []map[string]any, next string) (reply, *odata.Error) {
	link := c.root + "/" + set + "/delta?"
	body := map[string]any{"@odata.context": odata.ContextURL(c.root, set, st.Select), "value": items}
	if next != "" {
		body["@odata.nextLink"] = link + "$skiptoken=" + next
	} else {
		body["@odata.deltaLink"] = link + "$deltatoken=" + st.encode()
	}
	return reply{status: http.StatusOK, body: body, verbatim: true}, nil
}

// editTracker snapshots the application and service principal a write names, so that edits
// handlers make in place (credentials, service principal settings) reach the change record that
// delta query reads.
type editTracker struct {
	objs  []any
	snaps []directory.Snapshot
}

func (c *call) trackEdits() editTracker {
	var t editTracker
	if !c.route.Write {
		return t
	}
	for _, obj := range []any{c.app, c.sp} {
		switch o := obj.(type) {
		case *directory.Application:
			if o == nil {
				continue
			}
		case *directory.ServicePrincipal:
			if o == nil {
				continue
			}
		}
		t.objs, t.snaps = append(t.objs, obj), append(t.snaps, directory.TakeSnapshot(obj))
	}
	return t
}

func (t editTracker) record(tx *directory.Tx) {
	for i, obj := range t.objs {
		tx.RecordEdit(obj, t.snaps[i])
	}
}
