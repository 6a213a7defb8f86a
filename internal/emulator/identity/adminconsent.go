package identity

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
)

// defaultScope asks for every permission the application declares on a resource.
const defaultScope = ".default"

// serveAdminConsent is the v2.0 admin consent endpoint
// (/{tenant}/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…&state=…). There is no browser: it
// signs in a seeded user as the authorize endpoint does (login_hint picks which, default the
// first), refuses one who is not a Global Administrator as Entra does (AADSTS90094), records
// tenant-wide consent for the requested permissions and returns the administrator to the
// application's registered redirect URI with admin_consent=True and the tenant.
//
// scope lists resource-qualified delegated permissions (https://graph.microsoft.com/User.Read; OIDC
// scopes and unqualified names mean Microsoft Graph) and {resource}/.default, which consents to
// everything the application declares on the resource in requiredResourceAccess: its delegated
// permissions and its application permissions, which only /.default reaches.
func (p *Platform) serveAdminConsent(w http.ResponseWriter, r *http.Request, seg string, t *directory.Directory) {
	q, t, a, ok := p.browserClient(w, r, "adminconsent", seg, t)
	if !ok {
		return
	}
	clientID := a.AppID
	redirectURI, oerr := consentRedirect(&a, q.Get("redirect_uri"))
	if oerr != nil {
		writeErrorPage(w, r, oerr)
		return
	}
	user, oerr := signedInUser(t, q.Get("login_hint"))
	if oerr != nil {
		writeErrorPage(w, r, oerr)
		return
	}
	if !user.GlobalAdministrator {
		writeErrorPage(w, r, &oauthError{status: http.StatusForbidden, err: "access_denied", code: 90094,
			desc: fmt.Sprintf("The grant requires admin permission. %s is not an administrator of tenant %s.", user.UserPrincipalName, t.ID())})
		return
	}

	// From here on errors go back to the (registered) client.
	state := q.Get(paramState)
	scope := q.Get("scope")
	if strings.TrimSpace(scope) == "" {
		redirectBack(w, r, redirectURI, "", url.Values{paramError: {oauthInvalidRequest}, paramState: {state},
			paramErrorDescription: {"AADSTS900144: The request body must contain the following parameter: 'scope'."}})
		return
	}
	t.Do(func(tx *directory.Tx) {
		app := tx.ApplicationByAppID(clientID)
		var consents []directory.Consent
		if consents, oerr = consentsFor(tx, t.ID(), app, scope); oerr != nil {
			return
		}
		client := tx.ServicePrincipalByAppID(clientID)
		if client == nil {
			// Consent installs the application in the tenant, as in Entra.
			client = directory.NewServicePrincipalFor(app, t.ID())
			tx.AddServicePrincipal(client, p.clock())
		}
		tx.GrantAdminConsent(client, consents, p.clock())
	})
	if oerr != nil {
		redirectBack(w, r, redirectURI, "", url.Values{paramError: {oerr.err}, paramState: {state},
			paramErrorDescription: {fmt.Sprintf("AADSTS%d: %s", oerr.code, oerr.desc)}})
		return
	}
	redirectBack(w, r, redirectURI, "", url.Values{"admin_consent": {"True"}, "tenant": {t.ID()}, "scope": {scope}, paramState: {state}})
}

// consentRedirect is where the admin consent endpoint returns: the requested redirect URI when the
// application registered it, or, when none was requested, its first web redirect URI.
func consentRedirect(a *directory.Application, requested string) (string, *oauthError) {
	switch {
	case requested != "" && isRegisteredRedirect(a, requested):
		return requested, nil
	case requested != "":
		return "", &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 50011,
			desc: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", requested, a.AppID)}
	case len(a.Web.RedirectURIs) > 0:
		return a.Web.RedirectURIs[0], nil
	}
	return "", &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 500113,
		desc: "No reply address is registered for the application."}
}

// signedInUser is the seeded user login_hint names (by UPN, mail or object ID), or the first one.
func signedInUser(t *directory.Directory, hint string) (directory.User, *oauthError) {
	users := t.Users()
	if hint == "" {
		return users[0], nil
	}
	i := slices.IndexFunc(users, func(u directory.User) bool {
		return strings.EqualFold(u.UserPrincipalName, hint) || strings.EqualFold(u.Mail, hint) || strings.EqualFold(u.ID, hint)
	})
	if i < 0 {
		return directory.User{}, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 50034,
			desc: fmt.Sprintf("The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.", hint, t.ID())}
	}
	return users[i], nil
}

// consentsFor turns an admin consent request's scope parameter into what it consents to, per
// resource, in the order the resources first appear.
func consentsFor(tx *directory.Tx, tenantID string, app *directory.Application, scope string) ([]directory.Consent, *oauthError) {
	var out []directory.Consent
	entry := func(sp *directory.ServicePrincipal) *directory.Consent {
		for i := range out {
			if out[i].Resource.ID == sp.ID {
				return &out[i]
			}
		}
		out = append(out, directory.Consent{Resource: sp})
		return &out[len(out)-1]
	}
	for _, sc := range strings.Fields(scope) {
		_, name, sp, oerr := scopeResource(tx, tenantID, sc)
		if oerr != nil {
			return nil, oerr
		}
		c := entry(sp)
		if name == defaultScope {
			if oerr := addDeclared(c, app, sp); oerr != nil {
				return nil, oerr
			}
			continue
		}
		i := slices.IndexFunc(sp.OAuth2PermissionScopes, func(s directory.PermissionScope) bool {
			return strings.EqualFold(s.Value, name) && s.IsEnabled
		})
		if i < 0 {
			return nil, errScopeNotOnResource(app, name, sp)
		}
		if !containsFold(c.Scopes, sp.OAuth2PermissionScopes[i].Value) {
			c.Scopes = append(c.Scopes, sp.OAuth2PermissionScopes[i].Value)
		}
	}
	return out, nil
}

// addDeclared adds everything app declares on sp in requiredResourceAccess to c.
func addDeclared(c *directory.Consent, app *directory.Application, sp *directory.ServicePrincipal) *oauthError {
	i := slices.IndexFunc(app.RequiredResourceAccess, func(r directory.RequiredResourceAccess) bool {
		return strings.EqualFold(r.ResourceAppID, sp.AppID)
	})
	if i < 0 || len(app.RequiredResourceAccess[i].ResourceAccess) == 0 {
		return &oauthError{status: http.StatusBadRequest, err: "invalid_client", code: 650057,
			desc: fmt.Sprintf("Invalid resource. The client has requested access to a resource which is not listed in the requested permissions in the client's application registration. Client app ID: %s. Resource value from request: %s.", app.AppID, sp.AppID)}
	}
	for _, access := range app.RequiredResourceAccess[i].ResourceAccess {
		switch access.Type {
		case directory.AccessTypeScope:
			j := slices.IndexFunc(sp.OAuth2PermissionScopes, func(s directory.PermissionScope) bool { return strings.EqualFold(s.ID, access.ID) && s.IsEnabled })
			if j < 0 {
				return errScopeNotOnResource(app, access.ID, sp)
			}
			if !containsFold(c.Scopes, sp.OAuth2PermissionScopes[j].Value) {
				c.Scopes = append(c.Scopes, sp.OAuth2PermissionScopes[j].Value)
			}
		case directory.AccessTypeRole:
			j := slices.IndexFunc(sp.AppRoles, func(r directory.AppRole) bool {
				return strings.EqualFold(r.ID, access.ID) && r.IsEnabled && slices.Contains(r.AllowedMemberTypes, directory.MemberTypeApplication)
			})
			if j < 0 {
				return errScopeNotOnResource(app, access.ID, sp)
			}
			if !containsFold(c.RoleIDs, sp.AppRoles[j].ID) {
				c.RoleIDs = append(c.RoleIDs, sp.AppRoles[j].ID)
			}
		}
	}
	return nil
}

func errScopeNotOnResource(app *directory.Application, name string, sp *directory.ServicePrincipal) *oauthError {
	return &oauthError{status: http.StatusBadRequest, err: "invalid_client", code: 650053,
		desc: fmt.Sprintf("The application '%s' asked for scope '%s' that doesn't exist on the resource '%s'. Contact the app vendor.", app.DisplayName, name, sp.AppID)}
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}
