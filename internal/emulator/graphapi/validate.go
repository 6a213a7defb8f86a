package graphapi

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// This file holds the property validation Entra performs on writes. Each
// failure names the property, so the operator can surface it in a condition.

var (
	signInAudiences = []string{
		directory.SignInAudienceMyOrg, directory.SignInAudienceMultipleOrgs,
		directory.SignInAudienceMultipleOrgsAndPersonal, directory.SignInAudiencePersonalMicrosoftAccount,
	}
	groupMembershipValues = []string{"None", "SecurityGroup", "All", "ApplicationGroup", "DirectoryRole"}
)

const (
	maxURILength       = 256
	maxRedirectURIs    = 256
	maxDisplayNameSize = 256
)

// validateApplication checks an application about to be stored; prev is the
// stored version (the empty application on create). The checks run in a
// fixed order, so the first problem found is the one reported.
func validateApplication(a, prev *directory.Application) *odata.Error {
	if err := validateApplicationBasics(a); err != nil {
		return err
	}
	if err := validateApplicationURIs(a); err != nil {
		return err
	}
	if err := validateRequiredResourceAccess(a.RequiredResourceAccess); err != nil {
		return err
	}
	if err := validateAppRoles(a.AppRoles, prev.AppRoles); err != nil {
		return err
	}
	if err := validateScopes(a.API.OAuth2PermissionScopes, prev.API.OAuth2PermissionScopes); err != nil {
		return err
	}
	if v := a.API.RequestedAccessTokenVersion; v != nil && *v != 1 && *v != 2 {
		return odata.InvalidValue("api.requestedAccessTokenVersion", resourceApplication, "Allowed values are 1, 2 and null.")
	}
	// Personal Microsoft accounts only get v2 access tokens, so Entra refuses those audiences unless
	// the application asks for v2 ("Validation differences by supported account types").
	if personalAudience(a.SignInAudience) {
		if v := a.API.RequestedAccessTokenVersion; v == nil || *v != 2 {
			return odata.InvalidValue("api.requestedAccessTokenVersion", resourceApplication,
				"It must be 2 when signInAudience is "+a.SignInAudience+".")
		}
	}
	for _, tag := range a.Tags {
		if len(tag) > maxURILength {
			return odata.InvalidValue("tags", resourceApplication, fmt.Sprintf("A tag is longer than %d characters.", maxURILength))
		}
	}
	return validateOptionalClaims(a.OptionalClaims)
}

// validateApplicationBasics checks displayName, signInAudience and
// groupMembershipClaims.
func validateApplicationBasics(a *directory.Application) *odata.Error {
	const res = resourceApplication
	if strings.TrimSpace(a.DisplayName) == "" {
		return odata.InvalidValue(propDisplayName, res, "The display name is required.")
	}
	if len(a.DisplayName) > maxDisplayNameSize {
		return odata.InvalidValue(propDisplayName, res, fmt.Sprintf("The display name is longer than %d characters.", maxDisplayNameSize))
	}
	if a.SignInAudience != "" && !slices.Contains(signInAudiences, a.SignInAudience) {
		return odata.InvalidValue("signInAudience", res, "Allowed values are "+strings.Join(signInAudiences, ", ")+".")
	}
	if a.GroupMembershipClaims != nil {
		for _, part := range strings.Split(*a.GroupMembershipClaims, ",") {
			if !slices.Contains(groupMembershipValues, strings.TrimSpace(part)) {
				return odata.InvalidValue("groupMembershipClaims", res, "Allowed values are "+strings.Join(groupMembershipValues, ", ")+".")
			}
		}
	}
	return nil
}

// validateApplicationURIs checks the redirect URIs of every platform, the
// logout and home page URLs, and the identifier URIs.
func validateApplicationURIs(a *directory.Application) *odata.Error {
	const res = resourceApplication
	if err := validateRedirectURIs("web.redirectUris", a.Web.RedirectURIs, false); err != nil {
		return err
	}
	if err := validateRedirectURIs("spa.redirectUris", a.Spa.RedirectURIs, false); err != nil {
		return err
	}
	if err := validateRedirectURIs("publicClient.redirectUris", a.PublicClient.RedirectURIs, true); err != nil {
		return err
	}
	for prop, v := range map[string]*string{"web.logoutUrl": a.Web.LogoutURL, "web.homePageUrl": a.Web.HomePageURL} {
		if v != nil && *v != "" {
			if why := redirectURIProblem(*v, false); why != "" {
				return odata.InvalidValue(prop, res, why)
			}
		}
	}
	for i, u := range a.IdentifierURIs {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || len(u) > maxURILength {
			return odata.InvalidValue("identifierUris", res, fmt.Sprintf("Entry %d ('%s') is not an absolute URI of at most %d characters.", i, u, maxURILength))
		}
		if slices.Index(a.IdentifierURIs, u) != i {
			return odata.InvalidValue("identifierUris", res, fmt.Sprintf("'%s' is listed twice.", u))
		}
	}
	return nil
}

// validateRequiredResourceAccess checks the declared API permissions: GUID
// resource and permission IDs, type Scope or Role.
func validateRequiredResourceAccess(rras []directory.RequiredResourceAccess) *odata.Error {
	const res = resourceApplication
	for _, rra := range rras {
		if !odata.IsGUID(rra.ResourceAppID) {
			return odata.InvalidValue("requiredResourceAccess.resourceAppId", res, fmt.Sprintf("'%s' is not a GUID.", rra.ResourceAppID))
		}
		for _, ra := range rra.ResourceAccess {
			if !odata.IsGUID(ra.ID) {
				return odata.InvalidValue("requiredResourceAccess.resourceAccess.id", res, fmt.Sprintf("'%s' is not a GUID.", ra.ID))
			}
			if ra.Type != directory.AccessTypeScope && ra.Type != directory.AccessTypeRole {
				return odata.InvalidValue("requiredResourceAccess.resourceAccess.type", res, "Allowed values are Scope, Role.")
			}
		}
	}
	return nil
}

// validateOptionalClaims requires a name on every optional claim and allows
// only the user source.
func validateOptionalClaims(oc *directory.OptionalClaims) *odata.Error {
	if oc == nil {
		return nil
	}
	const res = resourceApplication
	for _, set := range [][]directory.OptionalClaim{oc.IDToken, oc.AccessToken, oc.Saml2Token} {
		for _, c := range set {
			if strings.TrimSpace(c.Name) == "" {
				return odata.InvalidValue("optionalClaims.name", res, "Every optional claim needs a name.")
			}
			if c.Source != nil && *c.Source != "" && !strings.EqualFold(*c.Source, "user") {
				return odata.InvalidValue("optionalClaims.source", res, "Allowed values are null and 'user'.")
			}
		}
	}
	return nil
}

// validateRedirectURIs applies Entra's redirect URI rules: at most 256
// characters, no wildcards or fragments, and https except for
// http://localhost (and loopback IPs). Public clients may also use custom
// schemes (msal{appId}://auth, ms-appx-web://...).
func validateRedirectURIs(prop string, uris []string, customSchemes bool) *odata.Error {
	if len(uris) > maxRedirectURIs {
		return odata.InvalidValue(prop, resourceApplication, fmt.Sprintf("At most %d redirect URIs are allowed.", maxRedirectURIs))
	}
	for i, u := range uris {
		if why := redirectURIProblem(u, customSchemes); why != "" {
			return odata.InvalidValue(prop, resourceApplication, why)
		}
		if slices.Index(uris, u) != i {
			return odata.InvalidValue(prop, resourceApplication, fmt.Sprintf("'%s' is listed twice.", u))
		}
	}
	return nil
}

// redirectURIProblem explains why u is not an acceptable URI, or returns "".
func redirectURIProblem(u string, customSchemes bool) string {
	if len(u) > maxURILength {
		return fmt.Sprintf("The URI '%s' is longer than %d characters.", u, maxURILength)
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return fmt.Sprintf("The URI '%s' is not an absolute URI.", u)
	}
	if strings.Contains(u, "*") {
		return fmt.Sprintf("The URI '%s' contains a wildcard, which is not allowed.", u)
	}
	if p.Fragment != "" || strings.Contains(u, "#") {
		return fmt.Sprintf("The URI '%s' contains a fragment, which is not allowed.", u)
	}
	switch strings.ToLower(p.Scheme) {
	case "https":
		if p.Host == "" {
			return fmt.Sprintf("The URI '%s' has no host.", u)
		}
		return ""
	case "http":
		if isLoopbackHost(p.Hostname()) {
			return ""
		}
		return fmt.Sprintf("The URI '%s' must use https; http is only allowed for localhost.", u)
	default:
		if customSchemes {
			return ""
		}
		return fmt.Sprintf("The URI '%s' must use https (or http://localhost).", u)
	}
}

func isLoopbackHost(h string) bool {
	return strings.EqualFold(h, "localhost") || h == "127.0.0.1" || h == "::1"
}

func validateAppRoles(roles, prev []directory.AppRole) *odata.Error {
	const res = resourceApplication
	for _, r := range roles {
		if !odata.IsGUID(r.ID) {
			return odata.InvalidValue("appRoles.id", res, fmt.Sprintf("'%s' is not a GUID.", r.ID))
		}
		if strings.TrimSpace(r.DisplayName) == "" {
			return odata.InvalidValue("appRoles.displayName", res, "Every app role needs a display name.")
		}
		if strings.ContainsAny(r.Value, " \t") {
			return odata.InvalidValue("appRoles.value", res, fmt.Sprintf("The value '%s' contains whitespace.", r.Value))
		}
		if len(r.AllowedMemberTypes) == 0 {
			return odata.InvalidValue("appRoles.allowedMemberTypes", res, "At least one of User, Application is required.")
		}
		for _, m := range r.AllowedMemberTypes {
			if m != directory.MemberTypeUser && m != directory.MemberTypeApplication {
				return odata.InvalidValue("appRoles.allowedMemberTypes", res, "Allowed values are User, Application.")
			}
		}
	}
	view := func(r directory.AppRole) permission {
		return permission{id: r.ID, value: r.Value, enabled: r.IsEnabled}
	}
	return checkPermissionChanges("appRoles", "app role", mapSlice(roles, view), mapSlice(prev, view))
}

func validateScopes(scopes, prev []directory.PermissionScope) *odata.Error {
	const res = resourceApplication
	for _, s := range scopes {
		if !odata.IsGUID(s.ID) {
			return odata.InvalidValue("api.oauth2PermissionScopes.id", res, fmt.Sprintf("'%s' is not a GUID.", s.ID))
		}
		if strings.TrimSpace(s.Value) == "" || strings.ContainsAny(s.Value, " \t") {
			return odata.InvalidValue("api.oauth2PermissionScopes.value", res, fmt.Sprintf("The value '%s' is empty or contains whitespace.", s.Value))
		}
		if s.Type != directory.ScopeTypeUser && s.Type != directory.ScopeTypeAdmin {
			return odata.InvalidValue("api.oauth2PermissionScopes.type", res, "Allowed values are User, Admin.")
		}
	}
	view := func(s directory.PermissionScope) permission {
		return permission{id: s.ID, value: s.Value, enabled: s.IsEnabled}
	}
	return checkPermissionChanges("api.oauth2PermissionScopes", "scope", mapSlice(scopes, view), mapSlice(prev, view))
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// permission is what an app role and a delegated scope share: Entra's rules on defining and
// retiring them are the same.
type permission struct {
	id, value string
	enabled   bool
}

// checkPermissionChanges refuses a permission defined twice (by ID or value), and an enabled one
// removed or renamed: Entra requires disabling it first, so tokens already issued stay meaningful.
func checkPermissionChanges(prop, kind string, next, prev []permission) *odata.Error {
	for i, p := range next {
		for _, earlier := range next[:i] {
			if strings.EqualFold(earlier.id, p.id) || (p.value != "" && earlier.value == p.value) {
				return odata.InvalidValue(prop, resourceApplication, fmt.Sprintf("The %s '%s' is defined twice.", kind, p.value))
			}
		}
	}
	for _, old := range prev {
		if !old.enabled {
			continue
		}
		i := slices.IndexFunc(next, func(p permission) bool { return strings.EqualFold(p.id, old.id) })
		if i < 0 || next[i].value != old.value {
			return odata.InvalidValue(prop, resourceApplication, fmt.Sprintf("The %s '%s' is enabled; disable it (isEnabled=false) before removing or changing its value.", kind, old.value))
		}
	}
	return nil
}

// personalAudience reports whether personal Microsoft accounts may sign in.
func personalAudience(audience string) bool {
	return audience == directory.SignInAudienceMultipleOrgsAndPersonal || audience == directory.SignInAudiencePersonalMicrosoftAccount
}
