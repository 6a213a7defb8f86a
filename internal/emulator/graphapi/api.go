// Package graphapi is the Entra emulator's Microsoft Graph v1.0 API: one route table declaring
// every operation (method, path pattern, whether it writes, the roles it requires, the finer rule
// Graph applies), one pipeline that serves them all, and handlers that hold only what is
// particular to each operation.
//
// The pipeline, in Graph's order: route; count; inject a 5xx; read the body (gunzipped); verify
// the bearer token; throttle writes; refuse overlapping writes to one application; refuse a
// caller with none of the route's roles (403 before anything is looked up); parse the query;
// then, with the tenant's directory locked, find what the path names (404; reads do not see what
// replication lag hides), apply the route's rule on it (OwnedBy owns it, or the application acts
// on itself), and run the handler; then write its answer.
package graphapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/identity"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// maxBodyBytes bounds request bodies; Graph's own limit is 4 MB.
const maxBodyBytes = 4 << 20

// Authenticator verifies a Graph request's bearer token: the identity platform that issued it.
type Authenticator interface {
	Authenticate(r *http.Request, now time.Time) (identity.Caller, *directory.Directory, *odata.Error)
}

// API serves Graph v1.0 under /v1.0.
type API struct {
	serverURL string
	faults    *faults.Faults
	auth      Authenticator
}

// New returns the Graph API of the server at serverURL ("https://host:port").
func New(serverURL string, f *faults.Faults, auth Authenticator) *API {
	return &API{serverURL: serverURL, faults: f, auth: auth}
}

// serviceRoot is the Graph v1.0 root, the base of @odata.context and Location.
func (api *API) serviceRoot() string { return api.serverURL + "/v1.0" }

// handler is what is particular to an operation. It runs with the directory locked, after the
// pipeline found and admitted what the path names, and returns its answer for the pipeline to
// write once the lock is released.
type handler func(c *call) (reply, *odata.Error)

// call is one Graph request on its way through the pipeline.
type call struct {
	r *http.Request
	// root is the Graph v1.0 root URL, for links in answers; faults is the emulator's behaviour.
	root   string
	faults *faults.Faults
	now    time.Time
	who    identity.Caller
	route  *Route
	params params
	// raw is the request body; body is it decoded as a JSON object, for POST and PATCH.
	raw  []byte
	body map[string]any
	// query is a collection GET's options; selected is an entity GET's $select.
	query    *odata.ListQuery
	selected []string

	dir *directory.Directory
	tx  *directory.Tx
	// What the path names, set by the finders; found is the last of them.
	found      any
	app        *directory.Application
	sp         *directory.ServicePrincipal
	grant      *directory.OAuth2PermissionGrant
	assignment *directory.AppRoleAssignment
	fic        int
	owner      string
}

// ServeHTTP runs the pipeline.
func (api *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, release, gerr := api.admit(w, r)
	if release != nil {
		defer release()
	}
	switch {
	case gerr != nil:
		odata.WriteError(w, r, gerr)
	case c == nil:
		// The client left while its write waited; there is no one to answer.
	default:
		rep, gerr := c.serve()
		if gerr != nil {
			odata.WriteError(w, r, gerr)
			return
		}
		api.write(w, c, rep)
	}
}

// admit takes a request as far as the directory: everything that does not depend on what the path
// names. A nil call with no error means the request ended (the client left during a hold).
func (api *API) admit(w http.ResponseWriter, r *http.Request) (*call, func(), *odata.Error) {
	rt, p, gerr := route(r)
	if gerr != nil {
		return nil, nil, gerr
	}
	api.faults.CountGraph(rt.Op, rt.Write)
	if injected, ok := api.faults.ServerError(); ok {
		return nil, nil, injectedError(injected)
	}
	raw, gerr := readBody(r)
	if gerr != nil {
		return nil, nil, gerr
	}
	now := wire.RequestFrom(r.Context()).Received
	who, dir, gerr := api.auth.Authenticate(r, now)
	if gerr != nil {
		return nil, nil, gerr
	}
	c := &call{r: r, root: api.serviceRoot(), faults: api.faults, now: now, who: who, route: rt, params: p, raw: raw, dir: dir, fic: -1}
	if rt.Write {
		if gerr := api.throttle(w, c); gerr != nil {
			return nil, nil, gerr
		}
	}
	var release func()
	if app, ok := p["app"]; ok && rt.Write {
		var err error
		release, err = api.faults.HoldWrite(r.Context(), func() string { return dir.ID() + "/" + appObjectID(dir, app.key) })
		switch {
		case errors.Is(err, faults.ErrConcurrentWrite):
			return nil, nil, &odata.Error{Status: http.StatusConflict, Code: odata.CodeConcurrencyViolation,
				Message: "Error due to concurrent requests being made to the tenant. Please wait briefly and retry."}
		case err != nil:
			return nil, nil, nil
		}
	}
	return c, release, nil
}

// injectedError renders a fault as Graph reports it: 503 serviceNotAvailable with Retry-After,
// or a generalException.
func injectedError(f faults.InjectedError) *odata.Error {
	if f.Status != http.StatusServiceUnavailable {
		return &odata.Error{Status: f.Status, Code: odata.CodeGeneralException, Message: "An internal server error occurred."}
	}
	ra := f.RetryAfter
	return &odata.Error{Status: f.Status, Code: odata.CodeServiceNotAvailable, Message: "The service is temporarily unavailable. Please retry.", RetryAfter: &ra}
}

// throttle charges a write to Graph's buckets and sets the x-ms-throttle headers.
func (api *API) throttle(w http.ResponseWriter, c *call) *odata.Error {
	d := api.faults.TakeWrite(c.dir.ID(), c.who.AppID)
	if d.Usage >= 0.8 {
		w.Header().Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", min(d.Usage, 1.8)))
		w.Header().Set("x-ms-throttle-scope", d.Scope)
	}
	if d.Allowed {
		return nil
	}
	w.Header().Set("x-ms-throttle-information", "WriteLimitExceeded")
	return &odata.Error{Status: http.StatusTooManyRequests, Code: odata.CodeTooManyRequests,
		Message: fmt.Sprintf("Too many requests. Retry after %d seconds.", odata.WholeSeconds(d.RetryAfter)), RetryAfter: &d.RetryAfter}
}

// appObjectID resolves an application key to its object ID when the application exists, so
// writes by ID and by alternate key contend for the same slot.
func appObjectID(dir *directory.Directory, k directory.Key) string {
	id := k.String()
	dir.Do(func(tx *directory.Tx) {
		if a := tx.Application(k); a != nil {
			id = a.ID
		}
	})
	return id
}

// serve checks the caller's roles, reads the query and body, and runs the route's handler on what
// the path names.
func (c *call) serve() (reply, *odata.Error) {
	rt := c.route
	if rt.Rule != OwnedObjectsOrSelf && !c.who.HasAny(rt.Roles...) {
		return reply{}, odata.Forbidden()
	}
	if gerr := c.readQuery(); gerr != nil {
		return reply{}, gerr
	}
	if rt.Method == http.MethodPost || rt.Method == http.MethodPatch {
		body, gerr := decodeObject(c.raw)
		if gerr != nil {
			return reply{}, gerr
		}
		c.body = body
	}
	var rep reply
	var gerr *odata.Error
	c.dir.Do(func(tx *directory.Tx) {
		c.tx = tx
		defer func() { c.tx = nil }()
		if gerr = c.find(); gerr == nil {
			edits := c.trackEdits()
			if rep, gerr = rt.handle(c); gerr == nil {
				edits.record(tx)
			}
		}
	})
	return rep, gerr
}

// readQuery parses a GET's OData query options for the entity it returns.
func (c *call) readQuery() *odata.Error {
	rt := c.route
	if rt.Method != http.MethodGet || rt.ownQuery {
		return nil
	}
	var gerr *odata.Error
	if rt.returnsCollection() {
		c.query, gerr = odata.ParseList(c.r.URL.Query(), rt.Entity)
	} else {
		c.selected, gerr = odata.ParseSingle(c.r.URL.Query(), rt.Entity)
	}
	return gerr
}

// readBody returns the request body, gunzipped when the SDK compressed it.
func readBody(r *http.Request) ([]byte, *odata.Error) {
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
			return nil, odata.BadRequest("The request body is not valid gzip: %v", err)
		}
		defer zr.Close()
		src = io.LimitReader(zr, maxBodyBytes+1)
	}
	b, err := io.ReadAll(src)
	if err != nil {
		return nil, odata.BadRequest("Could not read the request body: %v", err)
	}
	if len(b) > maxBodyBytes {
		return nil, &odata.Error{Status: http.StatusRequestEntityTooLarge, Code: odata.CodeEntityTooLarge, Message: "The request body is too large."}
	}
	return b, nil
}

// decodeObject parses a JSON object body, dropping OData annotations ("@odata.type" and friends)
// at every level: the SDK sends them and Graph ignores them.
func decodeObject(raw []byte) (map[string]any, *odata.Error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, odata.BadRequest("The request body is empty; a JSON object is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeBadRequest,
			Message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."}
	}
	stripAnnotations(m)
	return m, nil
}

func stripAnnotations(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if strings.Contains(k, "@odata.") {
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

// decodeInto converts a JSON object into a typed value, refusing unknown properties as Graph
// does.
func decodeInto(m map[string]any, into any, resource string) *odata.Error {
	b, err := json.Marshal(m)
	if err != nil {
		return odata.BadRequest("Invalid request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return jsonDecodeError(err, resource)
	}
	return nil
}

// jsonDecodeError maps encoding/json errors to Graph's 400 answers.
func jsonDecodeError(err error, resource string) *odata.Error {
	var typeErr *json.UnmarshalTypeError
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeRequestBadRequest, Message: fmt.Sprintf("Invalid property '%s'.", name),
			Details: []odata.ErrorDetail{{Code: "InvalidProperty", Message: fmt.Sprintf("Property '%s' does not exist on resource '%s'.", name, resource), Target: name}}}
	}
	if errors.As(err, &typeErr) {
		return odata.InvalidValue(typeErr.Field, resource, "")
	}
	return odata.BadRequest("Invalid request body: %v", err)
}
