// Package permissions turns the API permissions an AppRegistration declares by name into the IDs
// Entra ID stores, and decides what the operator may grant. It is pure except for the Cache, which
// remembers what Graph answered: the names a resource publishes, the resource aliases, the
// administrator's allow-list and the admin consent URL.
package permissions

import (
	"fmt"
	"slices"
	"strings"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Kind says whether a permission is used on behalf of a user or by the application itself.
type Kind int

const (
	// Delegated is a permission used on behalf of a signed-in user (a scope).
	Delegated Kind = iota
	// Application is a permission the application holds itself (an app role).
	Application
)

func (k Kind) String() string {
	if k == Application {
		return "application"
	}
	return "delegated"
}

// aliases maps the spec's resource aliases to their application IDs.
var aliases = map[entrav1alpha1.PermissionResource]string{
	entrav1alpha1.ResourceMicrosoftGraph: entrav1alpha1.MicrosoftGraphAppID,
	entrav1alpha1.ResourceExchangeOnline: entrav1alpha1.ExchangeOnlineAppID,
}

// AppIDOf returns the application ID a spec resource names: an alias's well-known ID, or the GUID
// itself in lower case.
func AppIDOf(resource entrav1alpha1.PermissionResource) string {
	if id, ok := aliases[resource]; ok {
		return id
	}
	return strings.ToLower(string(resource))
}

// NameOf is how status and messages name the resource with this application ID: its alias, or the ID.
func NameOf(appID string) string {
	for alias, id := range aliases {
		if strings.EqualFold(id, appID) {
			return string(alias)
		}
	}
	return strings.ToLower(appID)
}

// Resolved is one declared resource with its permissions found on the resource's service principal.
type Resolved struct {
	// Name is the resource as the spec names it (an alias or a GUID).
	Name string
	// Resource is the resource's service principal and the permissions it publishes.
	Resource graph.Resource
	// Delegated and Application are the declared permissions, in spec order, as the resource
	// publishes them (its spelling of the value, and the ID).
	Delegated   []graph.Permission
	Application []graph.Permission
}

// Names returns the declared permission values of one kind.
func (r Resolved) Names(k Kind) []string {
	list := r.Delegated
	if k == Application {
		list = r.Application
	}
	out := make([]string, 0, len(list))
	for _, p := range list {
		out = append(out, p.Value)
	}
	return out
}

// Missing is a declared permission its resource does not publish (or has disabled).
type Missing struct {
	Resource string
	Kind     Kind
	Name     string
}

func (m Missing) String() string {
	return fmt.Sprintf("%s has no %s permission %q", m.Resource, m.Kind, m.Name)
}

// Resolve finds the declared permissions of decl on r, the resource's service principal. Names
// match as Entra matches scopes: exactly, or else ignoring case. A permission the resource publishes
// but has disabled counts as missing: Entra would refuse to grant it.
func Resolve(decl entrav1alpha1.ResourcePermissions, r graph.Resource) (Resolved, []Missing) {
	out := Resolved{Name: string(decl.Resource), Resource: r}
	var missing []Missing
	for _, k := range []struct {
		kind      Kind
		declared  []entrav1alpha1.PermissionName
		published []graph.Permission
		into      *[]graph.Permission
	}{
		{Delegated, decl.Delegated, r.Scopes, &out.Delegated},
		{Application, decl.Application, r.Roles, &out.Application},
	} {
		for _, name := range k.declared {
			p, ok := Find(k.published, string(name))
			if !ok || !p.Enabled || p.ID == "" {
				missing = append(missing, Missing{Resource: out.Name, Kind: k.kind, Name: string(name)})
				continue
			}
			if !slices.ContainsFunc(*k.into, func(q graph.Permission) bool { return q.ID == p.ID }) {
				*k.into = append(*k.into, p)
			}
		}
	}
	return out, missing
}

// Find returns the published permission with this value: the exact spelling first, else one that
// differs only in case.
func Find(published []graph.Permission, value string) (graph.Permission, bool) {
	if i := slices.IndexFunc(published, func(p graph.Permission) bool { return p.Value == value }); i >= 0 {
		return published[i], true
	}
	if i := slices.IndexFunc(published, func(p graph.Permission) bool { return strings.EqualFold(p.Value, value) }); i >= 0 {
		return published[i], true
	}
	return graph.Permission{}, false
}

// FindID returns the published permission with this ID.
func FindID(published []graph.Permission, id string) (graph.Permission, bool) {
	i := slices.IndexFunc(published, func(p graph.Permission) bool { return strings.EqualFold(p.ID, id) })
	if i < 0 {
		return graph.Permission{}, false
	}
	return published[i], true
}
