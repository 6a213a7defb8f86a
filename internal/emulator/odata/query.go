// Package odata is the part of OData v4 that Microsoft Graph speaks on directory objects: the query
// options $filter (eq, ne, in, and, or, not, startswith, endswith, any() over string collections),
// $select, $top and $skiptoken paging; the error body; and the response shapes (@odata.context,
// @odata.nextLink). Anything else is refused with 400, as Graph refuses queries it cannot serve, so a
// client never mistakes an ignored filter for a result.
package odata

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// EntitySpec describes what an entity type supports in queries.
type EntitySpec struct {
	// Name is the resource name used in error messages ("Application").
	Name string
	// Type is the qualified type name ("microsoft.graph.application").
	Type string
	// Filterable maps a property path as written in $filter ("appId", "web/redirectUris") to its kind.
	Filterable map[string]PropKind
	// StartsWith lists the string properties supporting startswith() and endswith().
	StartsWith []string
	// Properties are the names $select may ask for.
	Properties []string
}

// PropKind is the type of a filterable property.
type PropKind int

// The property kinds $filter distinguishes.
const (
	KindString PropKind = iota
	KindBool
	KindStringCollection
)

// PropertiesOf lists the JSON property names of a model value, for EntitySpec.Properties.
func PropertiesOf(v any) []string {
	m := ToMap(v)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ListQuery is a parsed set of query options for a collection GET.
type ListQuery struct {
	filter   Filter
	Selected []string
	top      int
	afterSeq int64
}

const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// ParseList reads $filter, $select, $top and $skiptoken for a collection of spec's entities.
func ParseList(q url.Values, spec *EntitySpec) (*ListQuery, *Error) {
	out := &ListQuery{top: defaultPageSize}
	for key := range q {
		switch key {
		case "$filter", "$select", "$top", "$skiptoken":
		case "$count", "$orderby", "$search", "$expand", "$skip", "$format", "$apply":
			return nil, UnsupportedQuery("The query option '%s' is not supported by this emulator for %s.", key, spec.Name)
		default:
			if gerr := refuseUnknownOption(key); gerr != nil {
				return nil, gerr
			}
		}
	}
	if f := q.Get("$filter"); f != "" {
		expr, err := ParseFilter(f, spec)
		if err != nil {
			return nil, err
		}
		out.filter = expr
	}
	sel, gerr := parseSelect(q.Get("$select"), spec)
	if gerr != nil {
		return nil, gerr
	}
	out.Selected = sel
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, BadRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t, maxPageSize)
		}
		out.top = n
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		seq, err := decodeSkipToken(tok)
		if err != nil {
			return nil, BadRequest("Invalid skip token '%s'.", tok)
		}
		out.afterSeq = seq
	}
	return out, nil
}

// ParseSingle reads the options allowed on a single-entity GET and returns the $select list.
func ParseSingle(q url.Values, spec *EntitySpec) ([]string, *Error) {
	for key := range q {
		switch key {
		case "$select":
		case "$expand":
			return nil, UnsupportedQuery("The query option '$expand' is not supported by this emulator for %s.", spec.Name)
		default:
			if gerr := refuseUnknownOption(key); gerr != nil {
				return nil, gerr
			}
		}
	}
	return parseSelect(q.Get("$select"), spec)
}

// refuseUnknownOption refuses system query options ($...) the caller did not expect; other
// parameters are not OData's business.
func refuseUnknownOption(key string) *Error {
	if strings.HasPrefix(key, "$") {
		return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf("The query parameter '%s' is not supported.", key)}
	}
	return nil
}

// parseSelect resolves a $select list case-insensitively against spec's properties.
func parseSelect(s string, spec *EntitySpec) ([]string, *Error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		i := slices.IndexFunc(spec.Properties, func(p string) bool { return strings.EqualFold(p, name) })
		if i < 0 {
			return nil, &Error{Status: http.StatusBadRequest, Code: CodeBadRequest,
				Message: fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", name, spec.Type)}
		}
		if !slices.Contains(out, spec.Properties[i]) {
			out = append(out, spec.Properties[i])
		}
	}
	return out, nil
}

// Item is one entity of a collection with its place in paging order.
type Item struct {
	Seq    int64
	Object map[string]any
}

// Page orders items by Seq, skips what earlier pages returned, filters, projects the selected
// properties and cuts the page. skipToken is the $skiptoken of the next page, or "" for the last.
func (q *ListQuery) Page(items []Item) (page []map[string]any, skipToken string) {
	slices.SortFunc(items, func(a, b Item) int { return int(a.Seq - b.Seq) })
	page = []map[string]any{}
	var last int64
	for _, it := range items {
		if it.Seq <= q.afterSeq || (q.filter != nil && !q.filter.Eval(it.Object)) {
			continue
		}
		if len(page) == q.top {
			return page, encodeSkipToken(last)
		}
		page = append(page, Project(it.Object, q.Selected))
		last = it.Seq
	}
	return page, ""
}

func encodeSkipToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeSkipToken(tok string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, fmt.Errorf("decode skip token: %w", err)
	}
	s, ok := strings.CutPrefix(string(b), "seq:")
	if !ok {
		return 0, fmt.Errorf("skip token has no sequence")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse skip token: %w", err)
	}
	return n, nil
}

// Project keeps only the selected properties (and id) of a JSON object; no selection keeps all.
func Project(obj map[string]any, selected []string) map[string]any {
	if len(selected) == 0 {
		return obj
	}
	out := map[string]any{}
	if id, ok := obj["id"]; ok {
		out["id"] = id
	}
	for _, k := range selected {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	return out
}

// ToMap converts a model value into its JSON object form. Every model type marshals; failing here
// is a bug, not a request error.
func ToMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("odata: marshal %T: %v", v, err))
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("odata: unmarshal %T: %v", v, err))
	}
	return m
}

// ContextURL is an @odata.context value: the metadata document, the entity set or type, and the
// $select list in parentheses.
func ContextURL(serviceRoot, contextPath string, selected []string) string {
	ctx := serviceRoot + "/$metadata#" + contextPath
	if len(selected) > 0 {
		ctx += "(" + strings.Join(selected, ",") + ")"
	}
	return ctx
}

// EncodeQuery encodes query values keeping '$' readable, as Graph's nextLinks do.
func EncodeQuery(v url.Values) string {
	return strings.ReplaceAll(v.Encode(), "%24", "$")
}

// contentType is what Graph sends with entity and collection bodies.
const contentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// Write writes an OData JSON body.
func Write(w http.ResponseWriter, status int, v any) {
	wire.WriteJSON(w, status, contentType, v)
}

// IsGUID reports whether s has the 8-4-4-4-12 hex layout of an Edm.Guid.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
