package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// This file implements the subset of OData query options Graph supports on
// directory objects: $filter (eq, ne, in, and, or, not, startswith,
// endswith, any() over string collections), $select, $top and $skiptoken
// paging. Anything else is refused with 400, as Graph refuses queries it
// cannot serve, so callers never mistake an ignored filter for a result.

// entitySpec describes what a collection supports in queries.
type entitySpec struct {
	// name is the resource name used in error messages ("Application").
	name string
	// odataType is the qualified type name ("microsoft.graph.application").
	odataType string
	// filterable maps a property path (as written in $filter, e.g.
	// "appId" or "web/redirectUris") to its kind.
	filterable map[string]propKind
	// startsWith lists properties supporting startswith()/endswith().
	startsWith []string
}

type propKind int

const (
	kindString propKind = iota
	kindBool
	kindStringCollection
)

var (
	applicationSpec = entitySpec{
		name: resourceApplication, odataType: "microsoft.graph.application",
		filterable: map[string]propKind{
			"id": kindString, propAppID: kindString, propDisplayName: kindString, propUniqueName: kindString,
			"signInAudience": kindString, "publisherDomain": kindString,
			"identifierUris": kindStringCollection, "tags": kindStringCollection,
			"web/redirectUris": kindStringCollection, "spa/redirectUris": kindStringCollection,
			"publicClient/redirectUris": kindStringCollection,
		},
		startsWith: []string{propDisplayName, propUniqueName},
	}
	servicePrincipalSpec = entitySpec{
		name: resourceServicePrincipal, odataType: "microsoft.graph.servicePrincipal",
		filterable: map[string]propKind{
			"id": kindString, propAppID: kindString, propDisplayName: kindString, "servicePrincipalType": kindString,
			"appOwnerOrganizationId": kindString, "accountEnabled": kindBool,
			"servicePrincipalNames": kindStringCollection, "tags": kindStringCollection, "replyUrls": kindStringCollection,
		},
		startsWith: []string{propDisplayName},
	}
	grantSpec = entitySpec{
		name: resourceOAuth2PermissionGrant, odataType: "microsoft.graph.oAuth2PermissionGrant",
		filterable: map[string]propKind{
			"id": kindString, "clientId": kindString, "resourceId": kindString, "consentType": kindString, "principalId": kindString,
		},
	}
	assignmentSpec = entitySpec{
		name: resourceAppRoleAssignment, odataType: "microsoft.graph.appRoleAssignment",
		filterable: map[string]propKind{
			"id": kindString, "principalId": kindString, "resourceId": kindString, "appRoleId": kindString, "principalType": kindString,
		},
	}
	ficSpec = entitySpec{
		name: resourceFederatedIdentityCredential, odataType: "microsoft.graph.federatedIdentityCredential",
		filterable: map[string]propKind{"id": kindString, propName: kindString, "subject": kindString, propIssuer: kindString},
		startsWith: []string{propName},
	}
	userSpec = entitySpec{
		name: resourceUser, odataType: "microsoft.graph.user",
		filterable: map[string]propKind{
			"id": kindString, "userPrincipalName": kindString, "mail": kindString, propDisplayName: kindString,
			"givenName": kindString, "surname": kindString,
		},
		startsWith: []string{propDisplayName, "userPrincipalName", "mail", "givenName", "surname"},
	}
	directoryObjectSpec = entitySpec{
		name: resourceDirectoryObject, odataType: "microsoft.graph.directoryObject",
		filterable: map[string]propKind{"id": kindString},
	}
)

// listQuery is a parsed set of query options for a collection GET.
type listQuery struct {
	filter    filterExpr
	selected  []string
	top       int
	afterSeq  int64
	rawSelect string
}

const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// parseListQuery reads $filter, $select, $top and $skiptoken. sample is a
// JSON object of the entity, used to validate $select names.
func parseListQuery(q url.Values, spec entitySpec, sample map[string]any) (*listQuery, *graphError) {
	out := &listQuery{top: defaultPageSize}
	for key := range q {
		switch key {
		case "$filter", "$select", "$top", "$skiptoken":
		case "$count", "$orderby", "$search", "$expand", "$skip", "$format", "$apply":
			return nil, errUnsupportedQuery("The query option '%s' is not supported by this emulator for %s.", key, spec.name)
		default:
			if strings.HasPrefix(key, "$") {
				return nil, &graphError{status: 400, code: codeBadRequest, message: fmt.Sprintf("The query parameter '%s' is not supported.", key)}
			}
		}
	}
	if f := q.Get("$filter"); f != "" {
		expr, err := parseFilter(f, spec)
		if err != nil {
			return nil, err
		}
		out.filter = expr
	}
	if s := q.Get("$select"); s != "" {
		sel, err := parseSelect(s, spec, sample)
		if err != nil {
			return nil, err
		}
		out.selected, out.rawSelect = sel, s
	}
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, errBadRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t, maxPageSize)
		}
		out.top = n
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		seq, err := decodeSkipToken(tok)
		if err != nil {
			return nil, errBadRequest("Invalid skip token '%s'.", tok)
		}
		out.afterSeq = seq
	}
	return out, nil
}

// parseSingleQuery reads the options allowed on a single-entity GET.
func parseSingleQuery(q url.Values, spec entitySpec, sample map[string]any) ([]string, *graphError) {
	for key := range q {
		switch key {
		case "$select":
		case "$expand":
			return nil, errUnsupportedQuery("The query option '$expand' is not supported by this emulator for %s.", spec.name)
		default:
			if strings.HasPrefix(key, "$") {
				return nil, &graphError{status: 400, code: codeBadRequest, message: fmt.Sprintf("The query parameter '%s' is not supported.", key)}
			}
		}
	}
	if s := q.Get("$select"); s != "" {
		return parseSelect(s, spec, sample)
	}
	return nil, nil
}

func parseSelect(s string, spec entitySpec, sample map[string]any) ([]string, *graphError) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		found := ""
		for k := range sample {
			if strings.EqualFold(k, name) {
				found = k
				break
			}
		}
		if found == "" {
			return nil, &graphError{status: 400, code: codeBadRequest,
				message: fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", name, spec.odataType)}
		}
		if !slices.Contains(out, found) {
			out = append(out, found)
		}
	}
	return out, nil
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

// project keeps only the selected properties (and id) of a JSON object.
func project(obj map[string]any, selected []string) map[string]any {
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

// toJSONMap converts a model value into its JSON object form.
func toJSONMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("emulator: marshal %T: %v", v, err))
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("emulator: unmarshal %T: %v", v, err))
	}
	return m
}

// --- $filter ---

// filterExpr is a parsed $filter expression evaluated against an entity's
// JSON form.
type filterExpr interface {
	eval(obj map[string]any) bool
}

type andExpr struct{ l, r filterExpr }
type orExpr struct{ l, r filterExpr }
type notExpr struct{ e filterExpr }

// compareExpr is "prop eq|ne literal" or "prop in (literals)".
type compareExpr struct {
	prop   string
	op     string // eq, ne, in
	values []literal
}

// funcExpr is startswith(prop,'x') or endswith(prop,'x').
type funcExpr struct {
	fn, prop, value string
}

// anyExpr is prop/any(v: v eq 'x') or prop/any(v: startswith(v,'x')).
type anyExpr struct {
	prop  string
	op    string // eq, startswith, endswith
	value string
}

type literal struct {
	kind string // string, bool, null
	s    string
	b    bool
}

func (e andExpr) eval(o map[string]any) bool { return e.l.eval(o) && e.r.eval(o) }
func (e orExpr) eval(o map[string]any) bool  { return e.l.eval(o) || e.r.eval(o) }
func (e notExpr) eval(o map[string]any) bool { return !e.e.eval(o) }

func (e compareExpr) eval(o map[string]any) bool {
	v := lookupPath(o, e.prop)
	match := false
	for _, lit := range e.values {
		if literalEquals(v, lit) {
			match = true
			break
		}
	}
	if e.op == "ne" {
		return !match
	}
	return match
}

func (e funcExpr) eval(o map[string]any) bool {
	s, ok := lookupPath(o, e.prop).(string)
	if !ok {
		return false
	}
	return stringFunc(e.fn, s, e.value)
}

func (e anyExpr) eval(o map[string]any) bool {
	items, _ := lookupPath(o, e.prop).([]any)
	for _, it := range items {
		if s, ok := it.(string); ok && stringFunc(e.op, s, e.value) {
			return true
		}
	}
	return false
}

// stringFunc compares case-insensitively, as the directory does.
func stringFunc(fn, s, v string) bool {
	s, v = strings.ToLower(s), strings.ToLower(v)
	switch fn {
	case "startswith":
		return strings.HasPrefix(s, v)
	case "endswith":
		return strings.HasSuffix(s, v)
	default:
		return s == v
	}
}

func literalEquals(v any, lit literal) bool {
	switch lit.kind {
	case "null":
		return v == nil
	case "bool":
		b, ok := v.(bool)
		return ok && b == lit.b
	default:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, lit.s)
	}
}

func lookupPath(o map[string]any, path string) any {
	var cur any = o
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// parseFilter parses a $filter string for an entity.
func parseFilter(src string, spec entitySpec) (filterExpr, *graphError) {
	toks, err := lexFilter(src)
	if err != nil {
		return nil, errBadRequest("Invalid filter clause: %v", err)
	}
	p := &filterParser{toks: toks, spec: spec}
	expr, gerr := p.parseOr()
	if gerr != nil {
		return nil, gerr
	}
	if !p.done() {
		return nil, errBadRequest("Invalid filter clause: syntax error at '%s'.", p.peek().text)
	}
	return expr, nil
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokLParen
	tokRParen
	tokComma
	tokColon
)

type token struct {
	kind tokKind
	text string
}

// punctuation are the single-character tokens of $filter.
var punctuation = map[rune]tokKind{'(': tokLParen, ')': tokRParen, ',': tokComma, ':': tokColon}

func lexFilter(src string) ([]token, error) {
	var out []token
	rs := []rune(src)
	for i := 0; i < len(rs); {
		c := rs[i]
		if kind, ok := punctuation[c]; ok {
			out = append(out, token{kind, string(c)})
			i++
			continue
		}
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'':
			s, next, err := lexString(rs, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, s})
			i = next
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '$' || c == '@':
			start := i
			for i < len(rs) && isIdentRune(rs[i]) {
				i++
			}
			out = append(out, token{tokIdent, string(rs[start:i])})
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return out, nil
}

// lexString reads the quoted string literal starting at rs[start] (a
// quote), where a doubled quote stands for one. It returns the literal's
// value and the index after its closing quote.
func lexString(rs []rune, start int) (string, int, error) {
	var sb strings.Builder
	for i := start + 1; i < len(rs); i++ {
		if rs[i] != '\'' {
			sb.WriteRune(rs[i])
			continue
		}
		if i+1 < len(rs) && rs[i+1] == '\'' {
			sb.WriteRune('\'')
			i++
			continue
		}
		return sb.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

// isIdentRune reports whether r may continue an identifier or property path.
func isIdentRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_./-$@", r)
}

type filterParser struct {
	toks []token
	pos  int
	spec entitySpec
}

func (p *filterParser) done() bool { return p.pos >= len(p.toks) }

func (p *filterParser) peek() token {
	if p.done() {
		return token{kind: -1, text: "<end>"}
	}
	return p.toks[p.pos]
}

func (p *filterParser) next() token {
	t := p.peek()
	p.pos++
	return t
}

func (p *filterParser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, word)
}

func (p *filterParser) expect(kind tokKind, what string) (token, *graphError) {
	t := p.next()
	if t.kind != kind {
		return t, errBadRequest("Invalid filter clause: expected %s, found '%s'.", what, t.text)
	}
	return t, nil
}

func (p *filterParser) parseOr() (filterExpr, *graphError) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (filterExpr, *graphError) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (filterExpr, *graphError) {
	if p.isKeyword("not") {
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	if p.peek().kind == tokLParen {
		p.next()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return p.parsePrimary()
}

func (p *filterParser) unsupported(prop string) *graphError {
	return errUnsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, p.spec.name)
}

// property resolves a property path case-insensitively against the spec.
func (p *filterParser) property(name string) (string, propKind, bool) {
	for k, kind := range p.spec.filterable {
		if strings.EqualFold(k, name) {
			return k, kind, true
		}
	}
	return "", 0, false
}

func (p *filterParser) parsePrimary() (filterExpr, *graphError) {
	t := p.next()
	if t.kind != tokIdent {
		return nil, errBadRequest("Invalid filter clause: expected a property or function, found '%s'.", t.text)
	}
	lower := strings.ToLower(t.text)
	if (lower == "startswith" || lower == "endswith") && p.peek().kind == tokLParen {
		return p.parseStringFunc(lower)
	}
	if strings.HasSuffix(lower, "/any") && p.peek().kind == tokLParen {
		return p.parseAny(t.text[:len(t.text)-len("/any")])
	}
	prop, kind, ok := p.property(t.text)
	if !ok {
		return nil, p.unsupported(t.text)
	}
	if kind == kindStringCollection {
		return nil, errUnsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'. Use %s/any().", prop, p.spec.name, prop)
	}
	op := p.next()
	switch strings.ToLower(op.text) {
	case "eq", "ne":
		lit, err := p.parseLiteral(kind)
		if err != nil {
			return nil, err
		}
		return compareExpr{prop: prop, op: strings.ToLower(op.text), values: []literal{lit}}, nil
	case "in":
		if _, err := p.expect(tokLParen, "'('"); err != nil {
			return nil, err
		}
		var lits []literal
		for {
			lit, err := p.parseLiteral(kind)
			if err != nil {
				return nil, err
			}
			lits = append(lits, lit)
			if p.peek().kind == tokComma {
				p.next()
				continue
			}
			break
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return compareExpr{prop: prop, op: "in", values: lits}, nil
	case "gt", "ge", "lt", "le", "has":
		return nil, errUnsupportedQuery("Unsupported query: operator '%s' on property '%s' of resource '%s'.", op.text, prop, p.spec.name)
	default:
		return nil, errBadRequest("Invalid filter clause: expected an operator after '%s', found '%s'.", prop, op.text)
	}
}

func (p *filterParser) parseLiteral(kind propKind) (literal, *graphError) {
	t := p.next()
	switch {
	case t.kind == tokString:
		return literal{kind: "string", s: t.text}, nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "null"):
		return literal{kind: "null"}, nil
	case t.kind == tokIdent && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		if kind != kindBool {
			return literal{}, errBadRequest("Invalid filter clause: a Boolean literal cannot be compared with a string property.")
		}
		return literal{kind: "bool", b: strings.EqualFold(t.text, "true")}, nil
	case t.kind == tokIdent && isGUID(t.text):
		// Graph accepts unquoted GUIDs for Edm.Guid properties.
		return literal{kind: "string", s: t.text}, nil
	default:
		return literal{}, errBadRequest("Invalid filter clause: expected a literal, found '%s'.", t.text)
	}
}

func (p *filterParser) parseStringFunc(fn string) (filterExpr, *graphError) {
	p.next() // (
	pt, err := p.expect(tokIdent, "a property name")
	if err != nil {
		return nil, err
	}
	prop, kind, ok := p.property(pt.text)
	if !ok || kind != kindString || !slices.Contains(p.spec.startsWith, prop) {
		return nil, p.unsupported(pt.text)
	}
	if _, err := p.expect(tokComma, "','"); err != nil {
		return nil, err
	}
	v, err := p.expect(tokString, "a string literal")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	return funcExpr{fn: fn, prop: prop, value: v.text}, nil
}

func (p *filterParser) parseAny(path string) (filterExpr, *graphError) {
	prop, kind, ok := p.property(path)
	if !ok || kind != kindStringCollection {
		return nil, p.unsupported(path)
	}
	p.next() // (
	v, err := p.expect(tokIdent, "a lambda variable")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokColon, "':'"); err != nil {
		return nil, err
	}
	var out anyExpr
	t := p.next()
	switch {
	case t.kind == tokIdent && strings.EqualFold(t.text, v.text):
		if op := p.next(); !strings.EqualFold(op.text, "eq") {
			return nil, errUnsupportedQuery("Unsupported query: only 'eq' is supported inside any() on '%s'.", prop)
		}
		lit, err := p.expect(tokString, "a string literal")
		if err != nil {
			return nil, err
		}
		out = anyExpr{prop: prop, op: "eq", value: lit.text}
	case t.kind == tokIdent && (strings.EqualFold(t.text, "startswith") || strings.EqualFold(t.text, "endswith")):
		fn := strings.ToLower(t.text)
		if _, err := p.expect(tokLParen, "'('"); err != nil {
			return nil, err
		}
		if a, err := p.expect(tokIdent, "the lambda variable"); err != nil || !strings.EqualFold(a.text, v.text) {
			return nil, errBadRequest("Invalid filter clause: expected lambda variable '%s'.", v.text)
		}
		if _, err := p.expect(tokComma, "','"); err != nil {
			return nil, err
		}
		lit, err := p.expect(tokString, "a string literal")
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		out = anyExpr{prop: prop, op: fn, value: lit.text}
	default:
		return nil, errBadRequest("Invalid filter clause: unexpected '%s' inside any().", t.text)
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	return out, nil
}

// isGUID reports whether s has the 8-4-4-4-12 hex layout.
func isGUID(s string) bool {
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
