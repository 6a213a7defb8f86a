package permissions

import (
	"net/url"
	"slices"
	"strings"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// oidcScopes are Microsoft Graph's OpenID Connect scopes, which a scope parameter names bare.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// ConsentURL is what an administrator opens to grant an application's declared permissions tenant
// wide: Entra ID's admin consent endpoint,
//
//	{authority}/{tenant}/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…
//
// Delegated permissions are named one by one, qualified by their resource (Microsoft Graph's OIDC
// scopes bare); a resource with application permissions is asked for as {resource}/.default, which
// is how application permissions are consented to and which covers every permission the
// application declares on that resource. graphResource is the cloud's Microsoft Graph identifier
// (https://graph.microsoft.com); other resources are named by application ID. Entra returns the
// administrator to redirectURI, which must be registered on the application; empty leaves it out.
type ConsentURL struct {
	AuthorityHost string
	TenantID      string
	ClientID      string
	RedirectURI   string
	GraphResource string
}

// For returns the URL for the resolved permissions, or "" when there are none.
func (c ConsentURL) For(resolved []Resolved) string {
	var scopes []string
	add := func(s string) {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	for _, r := range resolved {
		ident := r.Resource.AppID
		isGraph := strings.EqualFold(ident, entrav1alpha1.MicrosoftGraphAppID)
		if isGraph && c.GraphResource != "" {
			ident = strings.TrimSuffix(c.GraphResource, "/")
		}
		if len(r.Application) > 0 {
			add(ident + "/.default")
			continue
		}
		for _, p := range r.Delegated {
			if isGraph && slices.Contains(oidcScopes, p.Value) {
				add(p.Value)
				continue
			}
			add(ident + "/" + p.Value)
		}
	}
	if len(scopes) == 0 {
		return ""
	}
	q := url.Values{"client_id": {c.ClientID}, "scope": {strings.Join(scopes, " ")}}
	if c.RedirectURI != "" {
		q.Set("redirect_uri", c.RedirectURI)
	}
	return strings.TrimSuffix(c.AuthorityHost, "/") + "/" + c.TenantID + "/v2.0/adminconsent?" + q.Encode()
}

// ConsentRedirectURI picks where the admin consent endpoint returns the administrator: the first web
// redirect URI (a CRM's own callback), else the first single-page or public client one. "" when the
// spec registers none; Entra then has nowhere to send the answer.
func ConsentRedirectURI(spec entrav1alpha1.AppRegistrationSpec) string {
	switch {
	case spec.Web != nil && len(spec.Web.RedirectURIs) > 0:
		return string(spec.Web.RedirectURIs[0])
	case spec.SPA != nil && len(spec.SPA.RedirectURIs) > 0:
		return string(spec.SPA.RedirectURIs[0])
	case spec.PublicClient != nil && len(spec.PublicClient.RedirectURIs) > 0:
		return string(spec.PublicClient.RedirectURIs[0])
	}
	return ""
}
