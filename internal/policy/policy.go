// Package policy decides, purely from objects, whether an AppRegistration may use a connection and
// whether what it asks Entra ID for stays inside the connection's policy. Every refusal names the
// rule and the field, so the object's status can say what to change.
package policy

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// Violation is one way an AppRegistration breaks a policy.
type Violation struct {
	// Field is the path of the offending value, e.g. spec.web.redirectUris[1].
	Field string
	// Rule is the policy field that refuses it, e.g. allowedRedirectHosts.
	Rule string
	// Message says what is wrong in words.
	Message string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s (policy %s)", v.Field, v.Message, v.Rule)
}

// Admits reports whether the namespace, with these labels, may use a connection with this selection.
func Admits(sel entrav1alpha1.NamespaceSelection, namespace string, nsLabels map[string]string) (bool, error) {
	if slices.Contains(sel.Names, namespace) {
		return true, nil
	}
	if sel.Selector == nil {
		return false, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel.Selector)
	if err != nil {
		return false, fmt.Errorf("the connection's namespace selector is invalid: %w", err)
	}
	return s.Matches(labels.Set(nsLabels)), nil
}

// Check lists every way spec breaks p, in a stable order; none means spec keeps the policy.
func Check(spec entrav1alpha1.AppRegistrationSpec, p entrav1alpha1.RegistrationPolicy) []Violation {
	out := checkAudience(spec, p)
	out = append(out, checkHosts(spec, p)...)
	out = append(out, checkFlows(spec, p)...)
	out = append(out, checkPermissions(spec, p)...)
	if spec.Adopt != nil && !p.AllowAdoption {
		out = append(out, Violation{Field: "spec.adopt", Rule: "allowAdoption",
			Message: "adopting an existing application is not allowed through this connection"})
	}
	return out
}

// checkPermissions refuses a declared API permission allowedPermissions does not name.
func checkPermissions(spec entrav1alpha1.AppRegistrationSpec, p entrav1alpha1.RegistrationPolicy) []Violation {
	if len(p.AllowedPermissions) == 0 {
		return nil
	}
	allowed, err := permissions.ParsePolicy(p.AllowedPermissions...)
	if err != nil {
		return []Violation{{Field: "spec.permissions", Rule: "allowedPermissions",
			Message: "the connection's allowedPermissions cannot be read, so no permission is allowed: " + err.Error()}}
	}
	var out []Violation
	for i, res := range spec.Permissions {
		appID := permissions.AppIDOf(res.Resource)
		for _, kind := range []struct {
			name  string
			kind  permissions.Kind
			names []entrav1alpha1.PermissionName
		}{{"delegated", permissions.Delegated, res.Delegated}, {"application", permissions.Application, res.Application}} {
			for j, name := range kind.names {
				if allowed.Allows(permissions.Ref{AppID: appID, Kind: kind.kind, Name: string(name)}) {
					continue
				}
				out = append(out, Violation{
					Field: fmt.Sprintf("spec.permissions[%d].%s[%d]", i, kind.name, j), Rule: "allowedPermissions",
					Message: fmt.Sprintf("%s permission %s of %s is not allowed", kind.name, name, res.Resource),
				})
			}
		}
	}
	return out
}

// Consentable is the connection's narrowing of what the operator may grant consent for, and
// whether it narrows at all.
func Consentable(p entrav1alpha1.RegistrationPolicy) (permissions.Policy, bool, error) {
	if len(p.ConsentablePermissions) == 0 {
		return permissions.Policy{}, false, nil
	}
	allowed, err := permissions.ParsePolicy(p.ConsentablePermissions...)
	return allowed, true, err
}

func checkAudience(spec entrav1alpha1.AppRegistrationSpec, p entrav1alpha1.RegistrationPolicy) []Violation {
	if len(p.AllowedSignInAudiences) == 0 {
		return nil
	}
	audience := spec.SignInAudience
	if audience == "" {
		audience = entrav1alpha1.AudienceMyOrg
	}
	if slices.Contains(p.AllowedSignInAudiences, audience) {
		return nil
	}
	return []Violation{{
		Field: "spec.signInAudience", Rule: "allowedSignInAudiences",
		Message: fmt.Sprintf("%s is not allowed; allowed: %s", audience, joinAudiences(p.AllowedSignInAudiences)),
	}}
}

func joinAudiences(in []entrav1alpha1.SignInAudience) string {
	out := make([]string, len(in))
	for i, a := range in {
		out[i] = string(a)
	}
	return strings.Join(out, ", ")
}

// uriField is one URI of the spec with its path.
type uriField struct{ field, uri string }

func specURIs(spec entrav1alpha1.AppRegistrationSpec) []uriField {
	var out []uriField
	if w := spec.Web; w != nil {
		for i, u := range w.RedirectURIs {
			out = append(out, uriField{fmt.Sprintf("spec.web.redirectUris[%d]", i), string(u)})
		}
		if w.LogoutURL != "" {
			out = append(out, uriField{"spec.web.logoutUrl", w.LogoutURL})
		}
		if w.HomePageURL != "" {
			out = append(out, uriField{"spec.web.homePageUrl", w.HomePageURL})
		}
	}
	if spa := spec.SPA; spa != nil {
		for i, u := range spa.RedirectURIs {
			out = append(out, uriField{fmt.Sprintf("spec.spa.redirectUris[%d]", i), string(u)})
		}
	}
	if pc := spec.PublicClient; pc != nil {
		for i, u := range pc.RedirectURIs {
			out = append(out, uriField{fmt.Sprintf("spec.publicClient.redirectUris[%d]", i), string(u)})
		}
	}
	return out
}

func checkHosts(spec entrav1alpha1.AppRegistrationSpec, p entrav1alpha1.RegistrationPolicy) []Violation {
	if len(p.AllowedRedirectHosts) == 0 {
		return nil
	}
	var out []Violation
	for _, u := range specURIs(spec) {
		host := uriHost(u.uri)
		if host != "" && hostAllowed(host, p.AllowedRedirectHosts) {
			continue
		}
		shown := host
		if shown == "" {
			shown = "no host"
		}
		out = append(out, Violation{
			Field: u.field, Rule: "allowedRedirectHosts",
			Message: fmt.Sprintf("host %s of %s is not among the allowed hosts", shown, u.uri),
		})
	}
	return out
}

// uriHost is the lower-cased host of an absolute URI, brackets removed from IPv6 literals.
func uriHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// hostAllowed: an entry matches itself; an entry starting with a dot matches every host below it
// (.example.com matches crm.example.com, not example.com nor badexample.com).
func hostAllowed(host string, allowed []entrav1alpha1.RedirectHost) bool {
	for _, a := range allowed {
		entry := strings.ToLower(string(a))
		if suffix, ok := strings.CutPrefix(entry, "."); ok {
			if strings.HasSuffix(host, "."+suffix) && net.ParseIP(host) == nil {
				return true
			}
			continue
		}
		if host == entry || host == strings.Trim(entry, "[]") {
			return true
		}
	}
	return false
}

func checkFlows(spec entrav1alpha1.AppRegistrationSpec, p entrav1alpha1.RegistrationPolicy) []Violation {
	var out []Violation
	if p.AllowImplicitGrant != nil && !*p.AllowImplicitGrant && spec.Web != nil {
		if spec.Web.ImplicitGrant.IDTokens {
			out = append(out, Violation{Field: "spec.web.implicitGrant.idTokens", Rule: "allowImplicitGrant",
				Message: "the implicit grant is not allowed"})
		}
		if spec.Web.ImplicitGrant.AccessTokens {
			out = append(out, Violation{Field: "spec.web.implicitGrant.accessTokens", Rule: "allowImplicitGrant",
				Message: "the implicit grant is not allowed"})
		}
	}
	if p.AllowPublicClientFlows != nil && !*p.AllowPublicClientFlows && spec.PublicClient != nil && spec.PublicClient.AllowPublicClientFlows {
		out = append(out, Violation{Field: "spec.publicClient.allowPublicClientFlows", Rule: "allowPublicClientFlows",
			Message: "public client flows (device code, password) are not allowed"})
	}
	return out
}
