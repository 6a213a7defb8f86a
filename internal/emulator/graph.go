package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxBodyBytes bounds request bodies; Graph's own limit is 4 MB.
const maxBodyBytes = 4 << 20

// graphCall is one Graph request on its way through the pipeline.
type graphCall struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	t    *Tenant
	who  caller
	body []byte
	now  time.Time
	segs []string
}

// caller is the authenticated principal of a Graph request.
type caller struct {
	appID string
	// oid is the service principal (app tokens) or user (user tokens).
	oid   string
	user  bool
	perms map[string]bool
}

func (c caller) has(perms ...string) bool {
	for _, p := range perms {
		if c.perms[p] {
			return true
		}
	}
	return false
}

// graphRoute is the result of routing: the operation name for counters, its
// class, and the handler. appKey names the application a write touches, for
// concurrency-conflict detection.
type graphRoute struct {
	op     string
	write  bool
	appKey *entityKey
	handle func(g *graphCall) *graphError
}

// entityKey addresses an entity: by object ID or by an alternate key
// (applications(appId='..'), applications(uniqueName='..')).
type entityKey struct {
	collection string
	by         string // "id", "appId", "uniqueName", "name"
	value      string
}

func (k entityKey) String() string {
	if k.by == "id" {
		return k.value
	}
	return fmt.Sprintf("%s='%s'", k.by, k.value)
}

var altKeyRe = regexp.MustCompile(`^([A-Za-z0-9]+)\(([A-Za-z]+)=(?:'((?:[^']|'')*)'|([^)']*))\)$`)

// parseSegment splits "applications(appId='x')" into the collection and key.
func parseSegment(seg string) (collection string, key *entityKey) {
	m := altKeyRe.FindStringSubmatch(seg)
	if m == nil {
		return seg, nil
	}
	v := m[3]
	if m[4] != "" {
		v = m[4]
	}
	return m[1], &entityKey{collection: m[1], by: m[2], value: strings.ReplaceAll(v, "''", "'")}
}

// serveGraph runs the Graph pipeline: body decoding, routing, counters,
// injected failures, authentication, throttling, conflicts, handler.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	g := &graphCall{s: s, w: w, r: r, now: s.now()}
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1.0"), "/")
	if path != "" {
		g.segs = strings.Split(path, "/")
	}
	route, gerr := routeGraph(r, g.segs)
	if gerr != nil {
		writeGraphError(w, r, gerr)
		return
	}
	s.counters.update(func(c *Counters) {
		if route.write {
			c.Writes++
		} else {
			c.Reads++
		}
		c.ByOperation[route.op]++
	})

	b := s.behaviour()
	if s.chance(b.ServerErrorRate) {
		s.counters.update(func(c *Counters) { c.ServerErrors++ })
		status := b.serverErrorStatus()
		e := &graphError{status: status, code: codeServiceNotAvailable, message: "The service is temporarily unavailable. Please retry."}
		if status != http.StatusServiceUnavailable {
			e.code, e.message = codeGeneralException, "An internal server error occurred."
		} else {
			ra := b.ServerErrorRetryAfter
			e.retryAfter = &ra
		}
		writeGraphError(w, r, e)
		return
	}

	body, gerr := readBody(r)
	if gerr != nil {
		writeGraphError(w, r, gerr)
		return
	}
	g.body = body

	who, t, gerr := s.authenticateGraph(r, g.now)
	if gerr != nil {
		writeGraphError(w, r, gerr)
		return
	}
	g.who, g.t = who, t

	if route.write {
		d := s.throttle.takeWrite(g.now, t.id, who.appID)
		if d.usage >= 0.8 {
			w.Header().Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", min(d.usage, 1.8)))
			w.Header().Set("x-ms-throttle-scope", d.scope)
		}
		if !d.allowed {
			s.counters.update(func(c *Counters) { c.Throttled++ })
			w.Header().Set("x-ms-throttle-information", "WriteLimitExceeded")
			ra := max(d.retryAfter, time.Second)
			writeGraphError(w, r, &graphError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
				message: fmt.Sprintf("Too many requests. Retry after %d seconds.", int64((ra+time.Second-1)/time.Second)), retryAfter: &ra})
			return
		}
	}

	if route.write && route.appKey != nil && b.ConcurrencyConflicts {
		key := t.id + "/" + t.resolveAppKey(*route.appKey)
		if !s.conflicts.acquire(key) {
			s.counters.update(func(c *Counters) { c.Conflicts++ })
			writeGraphError(w, r, &graphError{status: http.StatusConflict, code: codeConcurrencyViolation,
				message: "Error due to concurrent requests being made to the tenant. Please wait briefly and retry."})
			return
		}
		defer s.conflicts.release(key)
		// Hold the slot so that overlapping writes are observable.
		select {
		case <-time.After(b.concurrencyHold()):
		case <-r.Context().Done():
			return
		}
	}

	if gerr := route.handle(g); gerr != nil {
		writeGraphError(w, r, gerr)
	}
}

// readBody returns the request body, gunzipped when the SDK compressed it.
func readBody(r *http.Request) ([]byte, *graphError) {
	if r.Body == nil {
		return nil, nil
	}
	src := io.LimitReader(r.Body, maxBodyBytes+1)
	// A body labeled gzip must be gzip, as for Graph. kiota-http-go's retry handler can resend a
	// retried request's uncompressed body under the compression handler's Content-Encoding header
	// (microsoft/kiota-http-go#183); refusing it here shows a client that bug instead of hiding it.
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, errBadRequest("The request body is not valid gzip: %v", err)
		}
		defer zr.Close()
		src = io.LimitReader(zr, maxBodyBytes+1)
	}
	b, err := io.ReadAll(src)
	if err != nil {
		return nil, errBadRequest("Could not read the request body: %v", err)
	}
	if len(b) > maxBodyBytes {
		return nil, &graphError{status: http.StatusRequestEntityTooLarge, code: codeEntityTooLarge, message: "The request body is too large."}
	}
	return b, nil
}

// authenticateGraph validates the bearer token: signed by the emulator,
// unexpired, audience Microsoft Graph, tenant known.
func (s *Server) authenticateGraph(r *http.Request, now time.Time) (caller, *Tenant, *graphError) {
	authz := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return caller{}, nil, errUnauthorized("Access token is empty.")
	}
	claims, err := s.signer.verify(strings.TrimSpace(raw), func() time.Time { return now })
	if err != nil {
		if strings.Contains(err.Error(), "expired") {
			return caller{}, nil, errUnauthorized("Lifetime validation failed, the token is expired.")
		}
		return caller{}, nil, errUnauthorized("Access token validation failure.")
	}
	if aud, _ := claims[claimAudience].(string); aud != graphAudience && aud != MicrosoftGraphAppID {
		return caller{}, nil, errUnauthorized("Access token validation failure. Invalid audience.")
	}
	tid, _ := claims[claimTenantID].(string)
	t := s.Tenant(tid)
	if t == nil {
		return caller{}, nil, errUnauthorized("Access token validation failure. Invalid tenant.")
	}
	c := caller{perms: map[string]bool{}}
	c.appID, _ = claims[claimAuthorizedParty].(string)
	c.oid, _ = claims[claimObjectID].(string)
	if roles, ok := claims[claimRoles].([]any); ok {
		for _, ro := range roles {
			if v, ok := ro.(string); ok {
				c.perms[v] = true
			}
		}
	}
	if scp, ok := claims[claimScopes].(string); ok {
		c.user = true
		for _, v := range strings.Fields(scp) {
			c.perms[v] = true
		}
	}
	if idtyp, _ := claims[claimIdentityType].(string); idtyp == "user" {
		c.user = true
	}
	return c, t, nil
}

// resolveAppKey turns an application key into its object ID when it exists,
// so that writes by id and by alternate key contend for the same slot.
func (t *Tenant) resolveAppKey(k entityKey) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.findAppLocked(k); a != nil {
		return a.ID
	}
	return k.String()
}

func (t *Tenant) findAppLocked(k entityKey) *Application {
	switch strings.ToLower(k.by) {
	case "id":
		return t.apps[strings.ToLower(k.value)]
	case "appid":
		return t.appByAppIDLocked(k.value)
	case "uniquename":
		return t.appByUniqueNameLocked(k.value)
	}
	return nil
}

func (t *Tenant) findSPLocked(k entityKey) *ServicePrincipal {
	switch strings.ToLower(k.by) {
	case "id":
		return t.sps[strings.ToLower(k.value)]
	case "appid":
		return t.spByAppIDLocked(k.value)
	}
	return nil
}

// routeGraph maps method and path segments to an operation.
func routeGraph(r *http.Request, segs []string) (graphRoute, *graphError) {
	method := r.Method
	if len(segs) == 0 {
		return graphRoute{}, &graphError{status: 400, code: codeBadRequest, message: "Invalid request: no resource segment."}
	}
	coll, key := parseSegment(segs[0])
	if key == nil && len(segs) > 1 {
		key = &entityKey{collection: coll, by: "id", value: segs[1]}
		segs = append([]string{segs[0]}, segs[2:]...)
	}
	rest := segs[1:]
	switch coll {
	case "applications":
		return routeApplications(r, key, rest)
	case "servicePrincipals":
		return routeServicePrincipals(method, key, rest)
	case "oauth2PermissionGrants":
		return routeGrants(method, key, rest)
	case "users":
		return routeUsers(method, key, rest)
	}
	return graphRoute{}, errSegment(segs[0])
}

func errSegment(seg string) *graphError {
	return &graphError{status: 400, code: codeBadRequest, message: fmt.Sprintf("Resource not found for the segment '%s'.", seg)}
}

func errMethod(method string) *graphError {
	return &graphError{status: http.StatusMethodNotAllowed, code: codeRequestBadRequest,
		message: fmt.Sprintf("The HTTP method '%s' is not allowed for this resource.", method)}
}

// --- helpers used by the resource handlers ---

// decodeObject parses a JSON object body, dropping OData annotations
// ("@odata.type" and friends) at every level: the SDK sends them and Graph
// ignores them.
func (g *graphCall) decodeObject() (map[string]any, *graphError) {
	if len(bytes.TrimSpace(g.body)) == 0 {
		return nil, errBadRequest("The request body is empty; a JSON object is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(g.body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &graphError{status: 400, code: codeBadRequest, message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."}
	}
	stripAnnotations(m)
	return m, nil
}

func stripAnnotations(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if strings.HasPrefix(k, "@odata.") || strings.Contains(k, "@odata.") {
				delete(x, k)
				continue
			}
			stripAnnotations(child)
		}
	case []any:
		for _, child := range x {
			stripAnnotations(child)
		}
	}
}

// decodeInto converts a JSON map into a typed value, refusing unknown
// properties as Graph does.
func decodeInto(m map[string]any, into any, resource string) *graphError {
	b, err := json.Marshal(m)
	if err != nil {
		return errBadRequest("Invalid request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return jsonDecodeError(err, resource)
	}
	return nil
}

// jsonDecodeError maps encoding/json errors to Graph's 400 answers.
func jsonDecodeError(err error, resource string) *graphError {
	var typeErr *json.UnmarshalTypeError
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &graphError{status: 400, code: codeRequestBadRequest, message: fmt.Sprintf("Invalid property '%s'.", name),
			details: []errorDetail{{Code: "InvalidProperty", Message: fmt.Sprintf("Property '%s' does not exist on resource '%s'.", name, resource), Target: name}}}
	}
	if errors.As(err, &typeErr) {
		return errInvalidValue(typeErr.Field, resource, "")
	}
	return errBadRequest("Invalid request body: %v", err)
}

// respond writes an entity with its @odata.context.
func (g *graphCall) respond(status int, contextPath string, v any, selected []string) {
	obj := project(toJSONMap(v), selected)
	ctx := g.s.GraphBaseURL() + "/$metadata#" + contextPath
	if len(selected) > 0 {
		ctx += "(" + strings.Join(selected, ",") + ")"
	}
	obj["@odata.context"] = ctx + "/$entity"
	if status == http.StatusCreated {
		if id, ok := obj["id"].(string); ok {
			g.w.Header().Set("Location", g.s.GraphBaseURL()+"/"+contextPath+"/"+id)
		}
	}
	writeJSON(g.w, status, obj)
}

func (g *graphCall) noContent() { g.w.WriteHeader(http.StatusNoContent) }

// listed is one entity of a collection response with its paging order.
type listed struct {
	seq int64
	obj map[string]any
}

// respondList filters, pages and projects a collection.
func (g *graphCall) respondList(contextPath string, spec entitySpec, sample any, items []listed) *graphError {
	q, gerr := parseListQuery(g.r.URL.Query(), spec, toJSONMap(sample))
	if gerr != nil {
		return gerr
	}
	slices.SortFunc(items, func(a, b listed) int { return int(a.seq - b.seq) })
	var page []map[string]any
	var last int64
	more := false
	for _, it := range items {
		if it.seq <= q.afterSeq {
			continue
		}
		if q.filter != nil && !q.filter.eval(it.obj) {
			continue
		}
		if len(page) == q.top {
			more = true
			break
		}
		page = append(page, project(it.obj, q.selected))
		last = it.seq
	}
	if page == nil {
		page = []map[string]any{}
	}
	ctx := g.s.GraphBaseURL() + "/$metadata#" + contextPath
	if len(q.selected) > 0 {
		ctx += "(" + strings.Join(q.selected, ",") + ")"
	}
	out := map[string]any{"@odata.context": ctx, "value": page}
	if more {
		vals := g.r.URL.Query()
		vals.Del("$skiptoken")
		vals.Set("$skiptoken", encodeSkipToken(last))
		out["@odata.nextLink"] = g.s.URL() + g.r.URL.Path + "?" + encodeODataQuery(vals)
	}
	writeJSON(g.w, http.StatusOK, out)
	return nil
}

// encodeODataQuery encodes query values keeping '$' readable, as Graph's
// nextLinks do.
func encodeODataQuery(v url.Values) string {
	return strings.ReplaceAll(v.Encode(), "%24", "$")
}
