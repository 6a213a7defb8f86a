package odata

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Filter is a parsed $filter expression; Eval tests an entity's
// JSON form.
type Filter interface {
	Eval(obj map[string]any) bool
}

type andExpr struct{ l, r Filter }
type orExpr struct{ l, r Filter }
type notExpr struct{ e Filter }

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

func (e andExpr) Eval(o map[string]any) bool { return e.l.Eval(o) && e.r.Eval(o) }
func (e orExpr) Eval(o map[string]any) bool  { return e.l.Eval(o) || e.r.Eval(o) }
func (e notExpr) Eval(o map[string]any) bool { return !e.e.Eval(o) }

func (e compareExpr) Eval(o map[string]any) bool {
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

func (e funcExpr) Eval(o map[string]any) bool {
	s, ok := lookupPath(o, e.prop).(string)
	if !ok {
		return false
	}
	return stringFunc(e.fn, s, e.value)
}

func (e anyExpr) Eval(o map[string]any) bool {
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

// ParseFilter parses a $filter string for spec's entities.
func ParseFilter(src string, spec *EntitySpec) (Filter, *Error) {
	toks, err := lexFilter(src)
	if err != nil {
		return nil, BadRequest("Invalid filter clause: %v", err)
	}
	p := &filterParser{toks: toks, spec: spec}
	expr, gerr := p.parseOr()
	if gerr != nil {
		return nil, gerr
	}
	if !p.done() {
		return nil, BadRequest("Invalid filter clause: syntax error at '%s'.", p.peek().text)
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
	spec *EntitySpec
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

func (p *filterParser) expect(kind tokKind, what string) (token, *Error) {
	t := p.next()
	if t.kind != kind {
		return t, BadRequest("Invalid filter clause: expected %s, found '%s'.", what, t.text)
	}
	return t, nil
}

// parseOr parses "a or b or ...", which binds looser than and.
func (p *filterParser) parseOr() (Filter, *Error) {
	return p.parseChain("or", p.parseAnd, func(l, r Filter) Filter { return orExpr{l, r} })
}

// parseAnd parses "a and b and ...".
func (p *filterParser) parseAnd() (Filter, *Error) {
	return p.parseChain("and", p.parseUnary, func(l, r Filter) Filter { return andExpr{l, r} })
}

// parseChain parses operands joined by a left-associative keyword operator.
func (p *filterParser) parseChain(keyword string, operand func() (Filter, *Error), join func(l, r Filter) Filter) (Filter, *Error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(keyword) {
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = join(l, r)
	}
	return l, nil
}

func (p *filterParser) parseUnary() (Filter, *Error) {
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

func (p *filterParser) unsupported(prop string) *Error {
	return UnsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, p.spec.Name)
}

// property resolves a property path case-insensitively against the spec.
func (p *filterParser) property(name string) (string, PropKind, bool) {
	for k, kind := range p.spec.Filterable {
		if strings.EqualFold(k, name) {
			return k, kind, true
		}
	}
	return "", 0, false
}

func (p *filterParser) parsePrimary() (Filter, *Error) {
	t := p.next()
	if t.kind != tokIdent {
		return nil, BadRequest("Invalid filter clause: expected a property or function, found '%s'.", t.text)
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
	if kind == KindStringCollection {
		return nil, UnsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'. Use %s/any().", prop, p.spec.Name, prop)
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
		return nil, UnsupportedQuery("Unsupported query: operator '%s' on property '%s' of resource '%s'.", op.text, prop, p.spec.Name)
	default:
		return nil, BadRequest("Invalid filter clause: expected an operator after '%s', found '%s'.", prop, op.text)
	}
}

func (p *filterParser) parseLiteral(kind PropKind) (literal, *Error) {
	t := p.next()
	switch {
	case t.kind == tokString:
		return literal{kind: "string", s: t.text}, nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "null"):
		return literal{kind: "null"}, nil
	case t.kind == tokIdent && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		if kind != KindBool {
			return literal{}, BadRequest("Invalid filter clause: a Boolean literal cannot be compared with a string property.")
		}
		return literal{kind: "bool", b: strings.EqualFold(t.text, "true")}, nil
	case t.kind == tokIdent && IsGUID(t.text):
		// Graph accepts unquoted GUIDs for Edm.Guid properties.
		return literal{kind: "string", s: t.text}, nil
	default:
		return literal{}, BadRequest("Invalid filter clause: expected a literal, found '%s'.", t.text)
	}
}

func (p *filterParser) parseStringFunc(fn string) (Filter, *Error) {
	p.next() // (
	pt, err := p.expect(tokIdent, "a property name")
	if err != nil {
		return nil, err
	}
	prop, kind, ok := p.property(pt.text)
	if !ok || kind != KindString || !slices.Contains(p.spec.StartsWith, prop) {
		return nil, p.unsupported(pt.text)
	}
	v, err := p.lastStringArgument()
	if err != nil {
		return nil, err
	}
	return funcExpr{fn: fn, prop: prop, value: v}, nil
}

// lastStringArgument parses the end of a two-argument string function: a comma, a string literal
// and the closing parenthesis. It returns the literal.
func (p *filterParser) lastStringArgument() (string, *Error) {
	if _, err := p.expect(tokComma, "','"); err != nil {
		return "", err
	}
	v, err := p.expect(tokString, "a string literal")
	if err != nil {
		return "", err
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return "", err
	}
	return v.text, nil
}

func (p *filterParser) parseAny(path string) (Filter, *Error) {
	prop, kind, ok := p.property(path)
	if !ok || kind != KindStringCollection {
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
			return nil, UnsupportedQuery("Unsupported query: only 'eq' is supported inside any() on '%s'.", prop)
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
			return nil, BadRequest("Invalid filter clause: expected lambda variable '%s'.", v.text)
		}
		lit, err := p.lastStringArgument()
		if err != nil {
			return nil, err
		}
		out = anyExpr{prop: prop, op: fn, value: lit}
	default:
		return nil, BadRequest("Invalid filter clause: unexpected '%s' inside any().", t.text)
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	return out, nil
}
