package permissions

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// Rule allows the operator to grant one permission, or every permission of one kind, on one
// resource. Its text form is RESOURCE:KIND:PERMISSION, for example
//
//	MicrosoftGraph:delegated:User.Read
//	MicrosoftGraph:application:Calendars.Read
//	ExchangeOnline:application:SMTP.SendAsApp
//	6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0:delegated:*
//
// RESOURCE is an alias (MicrosoftGraph, ExchangeOnline) or a resource application ID, KIND is
// delegated or application, PERMISSION a permission value or * for all of that kind.
type Rule struct {
	// AppID is the resource's application ID, in lower case.
	AppID string
	Kind  Kind
	// Name is the permission value, or "*".
	Name string
}

// Any is the Name of a rule that allows every permission of its kind on its resource.
const Any = "*"

var (
	guidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	permissionPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:-]*$`)
	errRuleSyntax     = errors.New("want RESOURCE:KIND:PERMISSION, e.g. MicrosoftGraph:application:User.Read.All " +
		"(RESOURCE MicrosoftGraph, ExchangeOnline or an application ID; KIND delegated or application; PERMISSION a name or *)")
)

// ParseRule reads one rule in its text form.
func ParseRule(text string) (Rule, error) {
	parts := strings.SplitN(strings.TrimSpace(text), ":", 3)
	if len(parts) != 3 {
		return Rule{}, fmt.Errorf("%q: %w", text, errRuleSyntax)
	}
	resource, kind, name := parts[0], parts[1], parts[2]
	var r Rule
	switch {
	case resource == string(entrav1alpha1.ResourceMicrosoftGraph) || resource == string(entrav1alpha1.ResourceExchangeOnline):
		r.AppID = AppIDOf(entrav1alpha1.PermissionResource(resource))
	case guidPattern.MatchString(resource):
		r.AppID = strings.ToLower(resource)
	default:
		return Rule{}, fmt.Errorf("%q: resource %q is not MicrosoftGraph, ExchangeOnline or an application ID: %w", text, resource, errRuleSyntax)
	}
	switch strings.ToLower(kind) {
	case "delegated":
		r.Kind = Delegated
	case "application":
		r.Kind = Application
	default:
		return Rule{}, fmt.Errorf("%q: kind %q is neither delegated nor application: %w", text, kind, errRuleSyntax)
	}
	if name != Any && !permissionPattern.MatchString(name) {
		return Rule{}, fmt.Errorf("%q: %q is not a permission name or *: %w", text, name, errRuleSyntax)
	}
	r.Name = name
	return r, nil
}

func (r Rule) String() string {
	return fmt.Sprintf("%s:%s:%s", NameOf(r.AppID), r.Kind, r.Name)
}

// Policy is what an administrator allows the operator to grant. The zero Policy allows nothing.
// It is fed from the manager's --consent-allow flag today; a cluster-scoped policy resource can feed
// the same type later.
type Policy struct {
	Rules []Rule
}

// ParsePolicy reads rules given as comma-separated lists (each argument may hold several).
func ParsePolicy(lists ...string) (Policy, error) {
	var p Policy
	var errs []error
	for _, list := range lists {
		for _, text := range strings.Split(list, ",") {
			if strings.TrimSpace(text) == "" {
				continue
			}
			r, err := ParseRule(text)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.Rules = append(p.Rules, r)
		}
	}
	return p, errors.Join(errs...)
}

// Ref names one permission of one resource.
type Ref struct {
	AppID string
	Kind  Kind
	Name  string
}

func (r Ref) String() string {
	return fmt.Sprintf("%s %s permission %s", NameOf(r.AppID), r.Kind, r.Name)
}

// Allows reports whether the policy lets the operator grant the permission ref. Names compare
// ignoring case, as Entra compares permission values.
func (p Policy) Allows(ref Ref) bool {
	for _, r := range p.Rules {
		if strings.EqualFold(r.AppID, ref.AppID) && r.Kind == ref.Kind && (r.Name == Any || strings.EqualFold(r.Name, ref.Name)) {
			return true
		}
	}
	return false
}

// Refused returns the permissions of refs the policy does not allow, in order.
func (p Policy) Refused(refs []Ref) []Ref {
	var out []Ref
	for _, ref := range refs {
		if !p.Allows(ref) {
			out = append(out, ref)
		}
	}
	return out
}

// String renders the policy as the flag would take it.
func (p Policy) String() string {
	texts := make([]string, 0, len(p.Rules))
	for _, r := range p.Rules {
		texts = append(texts, r.String())
	}
	return strings.Join(texts, ",")
}
