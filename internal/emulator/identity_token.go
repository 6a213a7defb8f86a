package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	accessTokenLifetime  = time.Hour
	authCodeLifetime     = 10 * time.Minute
	refreshTokenLifetime = 90 * 24 * time.Hour
	jwtBearerType        = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// The OpenID Connect scopes.
const (
	scopeOpenID        = "openid"
	scopeProfile       = "profile"
	scopeEmail         = "email"
	scopeOfflineAccess = "offline_access"
)

// oidcScopes are the OpenID Connect scopes; they select ID token and
// refresh token issuance and appear in Graph's scp when consented.
var oidcScopes = []string{scopeOpenID, scopeProfile, scopeEmail, scopeOfflineAccess}

// authCode is an issued, not yet redeemed authorization code.
type authCode struct {
	clientID, redirectURI, userID, scope, nonce string
	challenge, challengeMethod                  string
	expires                                     time.Time
	redeemed                                    bool
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	clientID, userID, scope string
	expires                 time.Time
}

// clientAuth is how the client proved its identity.
type clientAuth struct {
	// acr is Entra's azpacr: "0" public client, "1" secret, "2" certificate
	// or federated assertion.
	acr string
}

// serveToken is the token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, seg string, t *Tenant) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, r, &oauthError{status: http.StatusMethodNotAllowed, err: oauthInvalidRequest, code: 900561,
			desc: "The endpoint only accepts POST requests."})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 900144, desc: "The request body is not a valid form."})
		return
	}
	grant := r.PostForm.Get("grant_type")
	s.counters.update(func(c *Counters) {
		c.TokenRequests++
		c.ByOperation["token."+grant]++
	})
	clientID := r.PostForm.Get("client_id")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if clientID == "" && hasBasic {
		clientID = basicID
	}
	if clientID == "" {
		writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 900144,
			desc: "The request body must contain the following parameter: 'client_id'."})
		return
	}
	if t == nil {
		t = s.tenantOfClient(clientID)
	}
	if t == nil {
		writeOAuthError(w, r, errUnknownClient(clientID, seg))
		return
	}
	tokenURL := s.url + "/" + seg + "/oauth2/v2.0/token"
	if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
		tokenURL = s.url + "/" + seg + "/oauth2/token"
	}
	in := tokenRequest{
		form: r, clientID: clientID, basicSecret: basicSecret, hasBasic: hasBasic, tokenURL: tokenURL,
	}
	var (
		resp map[string]any
		oerr *oauthError
	)
	switch grant {
	case "client_credentials":
		resp, oerr = s.clientCredentials(r, t, in)
	case "authorization_code":
		resp, oerr = s.authorizationCode(r, t, in)
	case "refresh_token":
		resp, oerr = s.refreshToken(r, t, in)
	case "":
		oerr = &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 900144,
			desc: "The request body must contain the following parameter: 'grant_type'."}
	default:
		oerr = &oauthError{status: http.StatusBadRequest, err: oauthUnsupportedGrantType, code: 70003,
			desc: fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant)}
	}
	if oerr != nil {
		writeOAuthError(w, r, oerr)
		return
	}
	writeBodyJSON(w, http.StatusOK, resp)
}

type tokenRequest struct {
	form        *http.Request
	clientID    string
	basicSecret string
	hasBasic    bool
	tokenURL    string
}

func (in tokenRequest) get(k string) string { return in.form.PostForm.Get(k) }

func errUnknownClient(clientID, tenant string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, err: oauthUnauthorizedClient, code: 700016,
		desc: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
}

// authenticateClient checks the client's credential against what is valid
// on the application right now. publicAllowed permits no credential at all
// (authorization code with PKCE from a SPA or public client redirect).
func (s *Server) authenticateClient(r *http.Request, t *Tenant, in tokenRequest, publicAllowed bool) (clientAuth, *oauthError) {
	now := s.now()
	t.mu.Lock()
	app := t.appByAppIDLocked(in.clientID)
	var a Application
	if app != nil {
		a = cloneApplication(app)
	}
	t.mu.Unlock()
	if app == nil {
		return clientAuth{}, errUnknownClient(in.clientID, t.id)
	}
	secret := in.get("client_secret")
	if secret == "" && in.hasBasic {
		secret = in.basicSecret
	}
	assertion := in.get("client_assertion")
	switch {
	case secret != "":
		for _, c := range a.PasswordCredentials {
			if !secretMatches(c, secret) {
				continue
			}
			if (c.EndDateTime != nil && !now.Before(*c.EndDateTime)) || (c.StartDateTime != nil && now.Before(*c.StartDateTime)) {
				return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000222,
					desc: fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", a.AppID)}
			}
			return clientAuth{acr: "1"}, nil
		}
		return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000215,
			desc: fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.AppID)}
	case assertion != "":
		if in.get("client_assertion_type") != jwtBearerType {
			return clientAuth{}, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 700024,
				desc: "The client_assertion_type must be " + jwtBearerType + "."}
		}
		if oerr := s.verifyClientAssertion(r, t, &a, assertion, in.tokenURL, now); oerr != nil {
			return clientAuth{}, oerr
		}
		return clientAuth{acr: "2"}, nil
	case publicAllowed:
		return clientAuth{acr: "0"}, nil
	}
	return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000218,
		desc: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

// resolvedScope is a scope parameter split into its one resource and the
// permissions requested on it.
type resolvedScope struct {
	resource *ServicePrincipal
	audience string
	// names are permission values on the resource (".default" included).
	names []string
	// oidc are the OpenID Connect scopes requested.
	oidc []string
}

// resolveScope maps a scope parameter to a resource service principal.
// Scopes without a resource prefix (User.Read) and OIDC-only requests mean
// Microsoft Graph. Callers hold t.mu.
func (t *Tenant) resolveScopeLocked(scope string) (resolvedScope, *oauthError) {
	var out resolvedScope
	var resourceID string
	for _, sc := range strings.Fields(scope) {
		if slices.Contains(oidcScopes, sc) {
			out.oidc = append(out.oidc, sc)
			continue
		}
		ident, name := graphAudience, sc
		if i := strings.LastIndex(sc, "/"); i > 0 {
			ident, name = sc[:i], sc[i+1:]
		}
		sp := t.spByIdentifierLocked(ident)
		if sp == nil {
			return out, &oauthError{status: http.StatusBadRequest, err: oauthInvalidResource, code: 500011,
				desc: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", ident, t.id)}
		}
		if out.resource != nil && out.resource.ID != sp.ID {
			return out, &oauthError{status: http.StatusBadRequest, err: oauthInvalidScope, code: 28000,
				desc: "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope " + scope + " is not valid."}
		}
		out.resource, resourceID = sp, ident
		out.names = append(out.names, name)
	}
	if out.resource == nil {
		out.resource = t.sps[t.graphSPID]
		resourceID = graphAudience
	}
	out.audience = t.audienceForLocked(out.resource, resourceID)
	return out, nil
}

// spByIdentifierLocked finds a service principal by appId or SPN.
func (t *Tenant) spByIdentifierLocked(ident string) *ServicePrincipal {
	for _, sp := range t.sps {
		if spNames(sp, ident) {
			return sp
		}
	}
	return nil
}

// audienceForLocked is the aud of an access token for a resource: Graph's
// and Exchange's well-known URLs, a v2 API's appId, or the identifier URI
// the client asked for.
func (t *Tenant) audienceForLocked(sp *ServicePrincipal, requested string) string {
	switch sp.AppID {
	case MicrosoftGraphAppID:
		return graphAudience
	case ExchangeOnlineAppID:
		return "https://outlook.office365.com"
	}
	if a := t.appByAppIDLocked(sp.AppID); a != nil && a.API.RequestedAccessTokenVersion != nil && *a.API.RequestedAccessTokenVersion == 2 {
		return sp.AppID
	}
	if isGUID(requested) {
		return sp.AppID
	}
	return requested
}

func (s *Server) clientCredentials(r *http.Request, t *Tenant, in tokenRequest) (map[string]any, *oauthError) {
	auth, oerr := s.authenticateClient(r, t, in, false)
	if oerr != nil {
		return nil, oerr
	}
	// MSAL adds "openid offline_access profile" to every request; Entra
	// ignores OIDC scopes in the client credentials flow.
	var fields []string
	for _, f := range strings.Fields(in.get("scope")) {
		if !slices.Contains(oidcScopes, f) {
			fields = append(fields, f)
		}
	}
	scope := strings.Join(fields, " ")
	if len(fields) != 1 || !strings.HasSuffix(fields[0], "/.default") {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidScope, code: 1002012,
			desc: fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	res, oerr := t.resolveScopeLocked(scope)
	if oerr != nil {
		return nil, oerr
	}
	client := t.spByAppIDLocked(in.clientID)
	if client == nil {
		return nil, errMissingSP(in.clientID, t.id)
	}
	now := s.now()
	claims := t.baseAccessClaims(res.audience, in.clientID, auth, now)
	claims[claimObjectID], claims[claimSubject], claims[claimIdentityType] = client.ID, client.ID, "app"
	if roles := t.rolesLocked(client.ID, res.resource); len(roles) > 0 {
		claims[claimRoles] = roles
	}
	at, err := s.signer.sign(claims)
	if err != nil {
		return nil, serverError(err)
	}
	return accessTokenResponse(at), nil
}

// accessTokenResponse is the token endpoint's answer carrying an access
// token; callers add scope, id_token and refresh_token as they apply.
func accessTokenResponse(accessToken string) map[string]any {
	return map[string]any{
		"token_type": "Bearer", "expires_in": int(accessTokenLifetime.Seconds()) - 1,
		"ext_expires_in": int(accessTokenLifetime.Seconds()) - 1, "access_token": accessToken,
	}
}

func errMissingSP(clientID, tenantID string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000229,
		desc: fmt.Sprintf("The client application %s is missing service principal in the tenant %s. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119", clientID, tenantID)}
}

func serverError(err error) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, err: oauthServerError, code: 90033, desc: "A transient error has occurred: " + err.Error()}
}

// baseAccessClaims are the claims every access token carries.
func (t *Tenant) baseAccessClaims(aud, clientID string, auth clientAuth, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		claimAudience: aud, claimIssuer: t.Issuer(), claimIssuedAt: now.Unix(), claimNotBefore: now.Unix(),
		claimExpires: now.Add(accessTokenLifetime).Unix(), claimTenantID: t.id, claimAuthorizedParty: clientID, claimAppID: clientID,
		claimAzpACR: auth.acr, claimAppIDACR: auth.acr, claimVersion: "2.0", claimTokenID: strings.ReplaceAll(uuid.NewString(), "-", "")[:22],
	}
}

// rolesLocked lists the values of the resource's app roles assigned to the
// principal, sorted for stable tokens.
func (t *Tenant) rolesLocked(principalID string, resource *ServicePrincipal) []string {
	var out []string
	for _, a := range t.assignments {
		if a.PrincipalID != principalID || a.ResourceID != resource.ID {
			continue
		}
		for _, role := range resource.AppRoles {
			if strings.EqualFold(role.ID, a.AppRoleID) && role.IsEnabled && !slices.Contains(out, role.Value) {
				out = append(out, role.Value)
			}
		}
	}
	sort.Strings(out)
	return out
}

// grantedScopesLocked is the set of delegated scopes consented for the
// client on the resource: AllPrincipals grants plus the user's own.
func (t *Tenant) grantedScopesLocked(clientSPID, resourceID, userID string) []string {
	var out []string
	for _, g := range t.grants {
		if g.ClientID != clientSPID || g.ResourceID != resourceID {
			continue
		}
		if g.ConsentType == "Principal" && (g.PrincipalID == nil || !strings.EqualFold(*g.PrincipalID, userID)) {
			continue
		}
		for _, s := range strings.Fields(g.Scope) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// userTokens issues access, ID and refresh tokens for a signed-in user.
func (s *Server) userTokens(t *Tenant, clientID, userID, scope, nonce string, auth clientAuth) (map[string]any, *oauthError) {
	now := s.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	client, u, oerr := t.userTokenPartiesLocked(clientID, userID)
	if oerr != nil {
		return nil, oerr
	}
	res, oerr := t.resolveScopeLocked(scope)
	if oerr != nil {
		return nil, oerr
	}
	granted := t.grantedScopesLocked(client.ID, res.resource.ID, u.ID)
	requested := res.names
	if res.resource.ID == t.graphSPID {
		requested = append(slices.Clone(res.oidc), res.names...)
	}
	scp := consentedScopes(requested, granted)
	claims := t.baseAccessClaims(res.audience, clientID, auth, now)
	sub := pairwiseSubject(u.ID, clientID)
	claims[claimObjectID], claims[claimSubject], claims[claimName], claims[claimPreferredUsername] = u.ID, sub, u.DisplayName, u.UserPrincipalName
	if len(scp) > 0 {
		claims[claimScopes] = strings.Join(scp, " ")
	}
	at, err := s.signer.sign(claims)
	if err != nil {
		return nil, serverError(err)
	}
	out := accessTokenResponse(at)
	out["scope"] = responseScope(res, scp)
	if slices.Contains(res.oidc, scopeOpenID) {
		idt, err := s.signer.sign(t.idTokenClaimsLocked(res, clientID, u, sub, nonce, now))
		if err != nil {
			return nil, serverError(err)
		}
		out["id_token"] = idt
	}
	if slices.Contains(res.oidc, scopeOfflineAccess) {
		rt := newOpaque()
		t.refresh[rt] = &refreshGrant{clientID: clientID, userID: u.ID, scope: scope, expires: now.Add(refreshTokenLifetime)}
		out["refresh_token"] = rt
	}
	return out, nil
}

// userTokenPartiesLocked finds the client's service principal and the user
// a user token is for, refusing unknown clients and users.
func (t *Tenant) userTokenPartiesLocked(clientID, userID string) (*ServicePrincipal, *User, *oauthError) {
	if t.appByAppIDLocked(clientID) == nil {
		return nil, nil, errUnknownClient(clientID, t.id)
	}
	client := t.spByAppIDLocked(clientID)
	if client == nil {
		return nil, nil, errMissingSP(clientID, t.id)
	}
	u := t.userByIDLocked(userID)
	if u == nil {
		return nil, nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 50034,
			desc: fmt.Sprintf("The user account %s does not exist in the %s directory.", userID, t.id)}
	}
	return client, u, nil
}

// consentedScopes is the scp of a user token: the requested scopes that
// were granted, with ".default" standing for every granted scope.
func consentedScopes(requested, granted []string) []string {
	var scp []string
	for _, n := range requested {
		if n == ".default" {
			for _, gs := range granted {
				if !slices.Contains(scp, gs) {
					scp = append(scp, gs)
				}
			}
			continue
		}
		if slices.Contains(granted, n) && !slices.Contains(scp, n) {
			scp = append(scp, n)
		}
	}
	return scp
}

// responseScope is the scope member of a user token response: the OIDC
// scopes requested plus the granted permissions qualified by the audience.
func responseScope(res resolvedScope, scp []string) string {
	respScopes := slices.Clone(res.oidc)
	for _, n := range scp {
		if !slices.Contains(oidcScopes, n) {
			respScopes = append(respScopes, strings.TrimSuffix(res.audience, "/")+"/"+n)
		}
	}
	return strings.Join(respScopes, " ")
}

// idTokenClaimsLocked are the claims of the ID token issued to clientID for
// user u: profile claims with the profile scope, email with the email scope
// or the email optional claim.
func (t *Tenant) idTokenClaimsLocked(res resolvedScope, clientID string, u *User, sub, nonce string, now time.Time) jwt.MapClaims {
	idClaims := jwt.MapClaims{
		claimAudience: clientID, claimIssuer: t.Issuer(), claimIssuedAt: now.Unix(), claimNotBefore: now.Unix(),
		claimExpires: now.Add(accessTokenLifetime).Unix(), claimTenantID: t.id, claimObjectID: u.ID, claimSubject: sub, claimVersion: "2.0",
	}
	if nonce != "" {
		idClaims[claimNonce] = nonce
	}
	if slices.Contains(res.oidc, scopeProfile) {
		idClaims[claimName], idClaims[claimPreferredUsername] = u.DisplayName, u.UserPrincipalName
	}
	a := t.appByAppIDLocked(clientID)
	if slices.Contains(res.oidc, scopeEmail) || (a.OptionalClaims != nil && slices.ContainsFunc(a.OptionalClaims.IDToken, func(c OptionalClaim) bool { return c.Name == claimEmail })) {
		idClaims[claimEmail] = u.Mail
	}
	return idClaims
}

// pairwiseSubject is Entra's per-application user identifier.
func pairwiseSubject(userID, clientID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(userID) + "|" + strings.ToLower(clientID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

func (s *Server) authorizationCode(r *http.Request, t *Tenant, in tokenRequest) (map[string]any, *oauthError) {
	now := s.now()
	code := in.get(paramCode)
	t.mu.Lock()
	c := t.codes[code]
	if c == nil || !now.Before(c.expires) || !strings.EqualFold(c.clientID, in.clientID) {
		t.mu.Unlock()
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 70008,
			desc: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
	}
	if c.redeemed {
		t.mu.Unlock()
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 54005,
			desc: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
	}
	cc := *c
	public := false
	if a := t.appByAppIDLocked(in.clientID); a != nil {
		public = slices.Contains(a.Spa.RedirectURIs, c.redirectURI) || slices.Contains(a.PublicClient.RedirectURIs, c.redirectURI) ||
			(a.IsFallbackPublicClient != nil && *a.IsFallbackPublicClient)
	}
	t.mu.Unlock()

	if in.get("redirect_uri") != cc.redirectURI {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 50011,
			desc: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URI used in the authorization request.", in.get("redirect_uri"))}
	}
	if cc.challenge != "" {
		verifier := in.get("code_verifier")
		if verifier == "" || !pkceMatches(cc.challenge, cc.challengeMethod, verifier) {
			return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 501481,
				desc: "The Code_Verifier does not match the code_challenge supplied in the authorization request."}
		}
	}
	auth, oerr := s.authenticateClient(r, t, in, public && cc.challenge != "")
	if oerr != nil {
		return nil, oerr
	}
	t.mu.Lock()
	if c := t.codes[code]; c != nil {
		c.redeemed = true
	}
	t.mu.Unlock()
	return s.userTokens(t, in.clientID, cc.userID, cc.scope, cc.nonce, auth)
}

func pkceMatches(challenge, method, verifier string) bool {
	want := verifier
	if strings.EqualFold(method, pkceMethodS256) {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (s *Server) refreshToken(r *http.Request, t *Tenant, in tokenRequest) (map[string]any, *oauthError) {
	now := s.now()
	rt := in.get("refresh_token")
	t.mu.Lock()
	g := t.refresh[rt]
	var gc refreshGrant
	if g != nil {
		gc = *g
	}
	public := false
	if a := t.appByAppIDLocked(in.clientID); a != nil {
		public = len(a.Spa.RedirectURIs)+len(a.PublicClient.RedirectURIs) > 0 || (a.IsFallbackPublicClient != nil && *a.IsFallbackPublicClient)
	}
	t.mu.Unlock()
	if g == nil || !now.Before(gc.expires) || !strings.EqualFold(gc.clientID, in.clientID) {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 70008,
			desc: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
	}
	auth, oerr := s.authenticateClient(r, t, in, public)
	if oerr != nil {
		return nil, oerr
	}
	scope := in.get("scope")
	if scope == "" {
		scope = gc.scope
	}
	if !slices.Contains(strings.Fields(scope), scopeOfflineAccess) {
		// A refresh keeps offline access; Entra always returns a new one.
		scope += " " + scopeOfflineAccess
	}
	return s.userTokens(t, in.clientID, gc.userID, scope, "", auth)
}
