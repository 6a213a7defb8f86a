package identity

import (
	"net/http"
	"strings"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// Caller is the principal a Microsoft Graph access token speaks for.
type Caller struct {
	// AppID is the client application (azp).
	AppID string
	// ObjectID is the service principal (app tokens) or the user (user tokens).
	ObjectID string
	// User is true for a token issued to a signed-in user.
	User bool
	// perms holds the token's app roles (roles) and delegated scopes (scp).
	perms map[string]bool
}

// HasAny reports whether the token grants one of perms.
func (c Caller) HasAny(perms ...string) bool {
	for _, p := range perms {
		if c.perms[p] {
			return true
		}
	}
	return false
}

// Authenticate validates a Graph request's bearer token (signed by the emulator, unexpired at
// now, audience Microsoft Graph, tenant known) and returns who it speaks for in which tenant.
// Refusals are Graph's 401 InvalidAuthenticationToken.
func (p *Platform) Authenticate(r *http.Request, now time.Time) (Caller, *directory.Directory, *odata.Error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return Caller{}, nil, odata.Unauthorized("Access token is empty.")
	}
	claims, err := p.signer.verify(raw, func() time.Time { return now })
	if err != nil {
		if strings.Contains(err.Error(), "expired") {
			return Caller{}, nil, odata.Unauthorized("Lifetime validation failed, the token is expired.")
		}
		return Caller{}, nil, odata.Unauthorized("Access token validation failure.")
	}
	if aud, _ := claims[claimAudience].(string); aud != graphAudience && aud != directory.MicrosoftGraphAppID {
		return Caller{}, nil, odata.Unauthorized("Access token validation failure. Invalid audience.")
	}
	tid, _ := claims[claimTenantID].(string)
	t := p.tenants.ByID(tid)
	if t == nil {
		return Caller{}, nil, odata.Unauthorized("Access token validation failure. Invalid tenant.")
	}
	c := Caller{perms: map[string]bool{}}
	c.AppID, _ = claims[claimAuthorizedParty].(string)
	c.ObjectID, _ = claims[claimObjectID].(string)
	if roles, ok := claims[claimRoles].([]any); ok {
		for _, ro := range roles {
			if v, ok := ro.(string); ok {
				c.perms[v] = true
			}
		}
	}
	if scp, ok := claims[claimScopes].(string); ok {
		c.User = true
		for _, v := range strings.Fields(scp) {
			c.perms[v] = true
		}
	}
	if idtyp, _ := claims[claimIdentityType].(string); idtyp == "user" {
		c.User = true
	}
	return c, t, nil
}

// ServeUserInfo answers the OIDC userinfo endpoint for user access tokens issued for Microsoft
// Graph. It is hosted by Graph, so its refusals are Graph's errors.
func (p *Platform) ServeUserInfo(w http.ResponseWriter, r *http.Request) {
	who, t, gerr := p.Authenticate(r, p.clock())
	if gerr != nil {
		odata.WriteError(w, r, gerr)
		return
	}
	var user *directory.User
	t.Do(func(tx *directory.Tx) {
		if u := tx.User(who.ObjectID); u != nil {
			found := *u
			user = &found
		}
	})
	if user == nil || !who.HasAny(scopeOpenID) {
		odata.WriteError(w, r, odata.Unauthorized("The userinfo endpoint needs a user token with the openid scope."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		claimSubject:  pairwiseSubject(user.ID, who.AppID),
		claimName:     user.DisplayName,
		"family_name": user.Surname,
		"given_name":  user.GivenName,
		claimEmail:    user.Mail,
	})
}
