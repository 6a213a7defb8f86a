// Package desired computes, purely from an AppRegistration's spec, the state Entra ID should be in,
// and compares it with what Graph reports. No I/O: everything here is table-tested.
package desired

import (
	"slices"
	"strings"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// uniqueNamePrefix marks applications this operator creates; the rest of the unique name is the
// AppRegistration's UID, which never changes and is never reused.
const uniqueNamePrefix = "entra-sso-operator-"

// UniqueName is the immutable key the application of an AppRegistration is created under.
func UniqueName(uid string) string { return uniqueNamePrefix + uid }

// UIDFromUniqueName returns the UID of the AppRegistration an application's unique name belongs
// to, and false for an application this operator did not create.
func UIDFromUniqueName(name string) (string, bool) {
	if len(name) <= len(uniqueNamePrefix) || !strings.EqualFold(name[:len(uniqueNamePrefix)], uniqueNamePrefix) {
		return "", false
	}
	return strings.ToLower(name[len(uniqueNamePrefix):]), true
}

// IsUniqueName reports whether an application's unique name is one this operator creates.
func IsUniqueName(name string) bool {
	_, ok := UIDFromUniqueName(name)
	return ok
}

// Application is the application registration the spec describes. Every managed field is set: what
// the spec leaves out is the Entra default, so a value someone added in the portal is removed.
// RequiredResourceAccess is the exception: the spec names permissions, Entra wants IDs, so the
// caller sets it from RequiredResourceAccess once the names are resolved.
func Application(spec entrav1alpha1.AppRegistrationSpec) graph.Application {
	app := graph.Application{
		DisplayName:           spec.DisplayName,
		SignInAudience:        string(spec.SignInAudience),
		GroupMembershipClaims: string(spec.GroupMembershipClaims),
	}
	if app.SignInAudience == "" {
		app.SignInAudience = string(entrav1alpha1.AudienceMyOrg)
	}
	if app.GroupMembershipClaims == "" {
		app.GroupMembershipClaims = string(entrav1alpha1.GroupMembershipClaimsNone)
	}
	// Entra refuses a personal-account audience unless the application asks for v2 access tokens
	// (personal accounts have no v1 tokens). Other audiences leave the version to whoever set it.
	if entrav1alpha1.SignInAudience(app.SignInAudience).IncludesPersonalAccounts() {
		app.AccessTokenVersion = 2
	}
	if w := spec.Web; w != nil {
		app.Web = graph.Web{
			RedirectURIs:         uriStrings(w.RedirectURIs),
			HomePageURL:          w.HomePageURL,
			LogoutURL:            w.LogoutURL,
			ImplicitIDTokens:     w.ImplicitGrant.IDTokens,
			ImplicitAccessTokens: w.ImplicitGrant.AccessTokens,
		}
	}
	if spec.SPA != nil {
		app.SPARedirectURIs = uriStrings(spec.SPA.RedirectURIs)
	}
	if pc := spec.PublicClient; pc != nil {
		app.PublicClientRedirectURIs = uriStrings(pc.RedirectURIs)
		app.IsFallbackPublicClient = pc.AllowPublicClientFlows
	}
	if oc := spec.OptionalClaims; oc != nil {
		app.OptionalClaims = graph.OptionalClaims{
			IDToken:     claims(oc.IDToken),
			AccessToken: claims(oc.AccessToken),
			SAML2Token:  claims(oc.SAML2Token),
		}
	}
	return app
}

// Diff lists the fields of observed that differ from desired, in graph.ManagedFields order. Lists
// Graph treats as sets (redirect URIs, claims) are compared without regard to order.
func Diff(desired, observed graph.Application) []graph.Field {
	var out []graph.Field
	for _, f := range graph.ManagedFields {
		if !fieldEqual(f, desired, observed) {
			out = append(out, f)
		}
	}
	return out
}

func fieldEqual(f graph.Field, d, o graph.Application) bool {
	switch f {
	case graph.FieldDisplayName:
		return d.DisplayName == o.DisplayName
	case graph.FieldSignInAudience:
		return d.SignInAudience == o.SignInAudience
	case graph.FieldWeb:
		return sameSet(d.Web.RedirectURIs, o.Web.RedirectURIs) &&
			d.Web.HomePageURL == o.Web.HomePageURL && d.Web.LogoutURL == o.Web.LogoutURL &&
			d.Web.ImplicitIDTokens == o.Web.ImplicitIDTokens && d.Web.ImplicitAccessTokens == o.Web.ImplicitAccessTokens
	case graph.FieldSPA:
		return sameSet(d.SPARedirectURIs, o.SPARedirectURIs)
	case graph.FieldPublicClient:
		return sameSet(d.PublicClientRedirectURIs, o.PublicClientRedirectURIs)
	case graph.FieldIsFallbackPublicClient:
		return d.IsFallbackPublicClient == o.IsFallbackPublicClient
	case graph.FieldOptionalClaims:
		return sameClaims(d.OptionalClaims.IDToken, o.OptionalClaims.IDToken) &&
			sameClaims(d.OptionalClaims.AccessToken, o.OptionalClaims.AccessToken) &&
			sameClaims(d.OptionalClaims.SAML2Token, o.OptionalClaims.SAML2Token)
	case graph.FieldAPI:
		return d.AccessTokenVersion == 0 || d.AccessTokenVersion == o.AccessTokenVersion
	case graph.FieldRequiredResourceAccess:
		return sameAccess(d.RequiredResourceAccess, o.RequiredResourceAccess)
	case graph.FieldGroupMembershipClaims:
		// Graph reports a new application's groupMembershipClaims as null, which means None.
		return orNone(d.GroupMembershipClaims) == orNone(o.GroupMembershipClaims)
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return string(entrav1alpha1.GroupMembershipClaimsNone)
	}
	return s
}

func sameSet(a, b []string) bool {
	return slices.Equal(sortedUnique(a), sortedUnique(b))
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameClaims(a, b []graph.OptionalClaim) bool {
	key := func(c graph.OptionalClaim) string {
		props := sortedUnique(c.AdditionalProperties)
		essential := "0"
		if c.Essential {
			essential = "1"
		}
		return c.Name + "|" + essential + "|" + strings.Join(props, ",")
	}
	ka := make([]string, 0, len(a))
	for _, c := range a {
		ka = append(ka, key(c))
	}
	kb := make([]string, 0, len(b))
	for _, c := range b {
		kb = append(kb, key(c))
	}
	return sameSet(ka, kb)
}

func uriStrings[T ~string](in []T) []string {
	out := make([]string, 0, len(in))
	for _, u := range in {
		out = append(out, string(u))
	}
	return out
}

func claims(in []entrav1alpha1.OptionalClaim) []graph.OptionalClaim {
	if len(in) == 0 {
		return nil
	}
	out := make([]graph.OptionalClaim, 0, len(in))
	for _, c := range in {
		props := make([]string, 0, len(c.AdditionalProperties))
		for _, p := range c.AdditionalProperties {
			props = append(props, string(p))
		}
		out = append(out, graph.OptionalClaim{Name: string(c.Name), Essential: c.Essential, AdditionalProperties: props})
	}
	return out
}
