package graphapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// pathSegment is one step of a request path. A segment with an alternate key,
// applications(appId='x'), is two steps: the collection, then the key.
type pathSegment struct {
	name string
	key  *directory.Key
	// raw is the segment as the client wrote it, for error messages.
	raw string
}

// pathParam is what a {param} matched: the key, and the collection or navigation property before
// it, which says what kind of entity the key addresses.
type pathParam struct {
	key   directory.Key
	after string
}

// params are a matched route's {param}s by name.
type params map[string]pathParam

// altKeyRe matches an alternate-key segment: collection(property='value') or an unquoted value.
var altKeyRe = regexp.MustCompile(`^([A-Za-z0-9]+)\(([A-Za-z]+)=(?:'((?:[^']|'')*)'|([^)']*))\)$`)

// splitPath turns a path under /v1.0 into segments.
func splitPath(path string) []pathSegment {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	var out []pathSegment
	for _, raw := range strings.Split(path, "/") {
		m := altKeyRe.FindStringSubmatch(raw)
		if m == nil {
			// A function call without parameters (delta(), as the SDK writes it) names the function.
			out = append(out, pathSegment{name: strings.TrimSuffix(raw, "()"), raw: raw})
			continue
		}
		v := m[3]
		if m[4] != "" {
			v = m[4]
		}
		key := directory.Key{By: m[2], Value: strings.ReplaceAll(v, "''", "'")}
		out = append(out, pathSegment{name: m[1], raw: raw}, pathSegment{key: &key, raw: raw})
	}
	return out
}

// match reports how many leading segments of path the route's pattern accepts, and the params
// when it accepts all of them.
func (rt *Route) match(path []pathSegment) (int, params) {
	p := params{}
	for i, seg := range rt.segments {
		if i == len(path) {
			return i, nil
		}
		got := path[i]
		name, isParam := paramName(seg)
		switch {
		case !isParam && (got.key != nil || got.name != seg):
			return i, nil
		case isParam && got.key != nil:
			p[name] = pathParam{key: *got.key, after: rt.segments[i-1]}
		case isParam && got.name != "" && !strings.HasPrefix(got.name, "$"):
			p[name] = pathParam{key: directory.ByID(got.name), after: rt.segments[i-1]}
		case isParam:
			return i, nil
		}
	}
	if len(path) != len(rt.segments) {
		return len(rt.segments), nil
	}
	return len(path), p
}

// route finds the route serving r. A path no route knows names its first unknown segment (400);
// a known path with another method is 405.
func route(r *http.Request) (*Route, params, *odata.Error) {
	path := splitPath(strings.TrimPrefix(r.URL.Path, "/v1.0"))
	if len(path) == 0 {
		return nil, nil, &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeBadRequest, Message: "Invalid request: no resource segment."}
	}
	known, deepest := false, 0
	for _, rt := range routes {
		n, p := rt.match(path)
		deepest = max(deepest, n)
		if p == nil {
			continue
		}
		if rt.Method == r.Method && (rt.applies == nil || rt.applies(r, p)) {
			return rt, p, nil
		}
		known = true
	}
	if known {
		return nil, nil, odata.MethodNotAllowed(r.Method)
	}
	return nil, nil, odata.SegmentNotFound(path[min(deepest, len(path)-1)].raw)
}
