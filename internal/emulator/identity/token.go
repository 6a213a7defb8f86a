package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// The grant types the token endpoint serves.
const (
	grantClientCredentials = "client_credentials"
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
)

// jwtBearerType is the client_assertion_type of a JWT client assertion (RFC 7523).
const jwtBearerType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// The OpenID Connect scopes.
const (
	scopeOpenID        = "openid"
	scopeProfile       = "profile"
	scopeEmail         = "email"
	scopeOfflineAccess = "offline_access"
)

// oidcScopes are the OpenID Connect scopes; they select ID token and refresh token issuance and
// appear in Graph's scp when consented.
var oidcScopes = []string{scopeOpenID, scopeProfile, scopeEmail, scopeOfflineAccess}

// clientAuth is how the client proved its identity.
type clientAuth struct {
	// acr is Entra's azpacr: "0" public client, "1" secret, "2" certificate or federated assertion.
	acr string
}

// tokenRequest is a parsed token endpoint request.
type tokenRequest struct {
	form        *http.Request
	clientID    string
	basicSecret string
	hasBasic    bool
	tokenURL    string
}

func (in tokenRequest) get(k string) string { return in.form.PostForm.Get(k) }

// serveToken is the token endpoint.
func (p *Platform) serveToken(w http.ResponseWriter, r *http.Request, seg string, t *directory.Directory) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, r, &oauthError{status: http.StatusMethodNotAllowed, err: oauthInvalidRequest, code: 900561,
			desc: "The endpoint only accepts POST requests."})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, r, errInvalidForm)
		return
	}
	grant := r.PostForm.Get("grant_type")
	p.faults.CountToken(grant)
	if err := p.faults.WaitForTokenEndpoint(r.Context()); err != nil {
		if errors.Is(err, faults.ErrClosed) {
			writeOAuthError(w, r, &oauthError{status: http.StatusServiceUnavailable, err: oauthTemporarilyUnavailable, code: 90033,
				desc: "A transient error has occurred: the service is shutting down. Please try again."})
		}
		// Otherwise the client gave up; there is no one to answer.
		return
	}
	clientID := r.PostForm.Get("client_id")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if clientID == "" && hasBasic {
		clientID = basicID
	}
	t, oerr := p.clientTenant(t, clientID, seg)
	if oerr != nil {
		writeOAuthError(w, r, oerr)
		return
	}
	tokenURL := p.baseURL + "/" + seg + "/oauth2/v2.0/token"
	if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
		tokenURL = p.baseURL + "/" + seg + "/oauth2/token"
	}
	in := tokenRequest{form: r, clientID: clientID, basicSecret: basicSecret, hasBasic: hasBasic, tokenURL: tokenURL}
	var resp map[string]any
	switch grant {
	case grantClientCredentials:
		resp, oerr = p.clientCredentials(r, t, in)
	case grantAuthorizationCode:
		resp, oerr = p.authorizationCode(r, t, in)
	case grantRefreshToken:
		resp, oerr = p.refreshToken(r, t, in)
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
	writeJSON(w, http.StatusOK, resp)
}

// clientTenant is the tenant a client signs in to: the one the URL names, or, for the
// multi-tenant aliases (/common, /organizations), the one that registered the client.
func (p *Platform) clientTenant(t *directory.Directory, clientID, seg string) (*directory.Directory, *oauthError) {
	if clientID == "" {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 900144,
			desc: "The request body must contain the following parameter: 'client_id'."}
	}
	if t == nil {
		t = p.tenants.OfClient(clientID)
	}
	if t == nil {
		return nil, errUnknownClient(clientID, seg)
	}
	return t, nil
}

// errInvalidForm refuses a request whose parameters do not parse.
var errInvalidForm = &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 900144, desc: "The request is not a valid form."}

func errUnknownClient(clientID, tenant string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, err: oauthUnauthorizedClient, code: 700016,
		desc: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
}

func errMissingSP(clientID, tenantID string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000229,
		desc: fmt.Sprintf("The client application %s is missing service principal in the tenant %s. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119", clientID, tenantID)}
}

func serverError(err error) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, err: oauthServerError, code: 90033, desc: "A transient error has occurred: " + err.Error()}
}

// errGrantExpired refuses a code or refresh token that is unknown, expired, or whose client is
// gone.
var errGrantExpired = &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 70008,
	desc: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}

// authenticateClient checks the client's credential against what is valid on the application
// right now. publicAllowed permits no credential at all (authorization code with PKCE from a SPA
// or public client redirect).
func (p *Platform) authenticateClient(r *http.Request, t *directory.Directory, in tokenRequest, publicAllowed bool) (clientAuth, *oauthError) {
	now := p.clock()
	a, ok := t.ApplicationByAppID(in.clientID)
	if !ok {
		return clientAuth{}, errUnknownClient(in.clientID, t.ID())
	}
	secret := in.get("client_secret")
	if secret == "" && in.hasBasic {
		secret = in.basicSecret
	}
	assertion := in.get("client_assertion")
	switch {
	case secret != "":
		i := slices.IndexFunc(a.PasswordCredentials, func(c directory.PasswordCredential) bool { return c.Matches(secret) })
		if i < 0 {
			return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000215,
				desc: fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.AppID)}
		}
		if !a.PasswordCredentials[i].ActiveAt(now) {
			return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000222,
				desc: fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", a.AppID)}
		}
		return clientAuth{acr: "1"}, nil
	case assertion != "":
		if in.get("client_assertion_type") != jwtBearerType {
			return clientAuth{}, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 700024,
				desc: "The client_assertion_type must be " + jwtBearerType + "."}
		}
		if oerr := p.verifyClientAssertion(r, t, &a, assertion, in.tokenURL, now); oerr != nil {
			return clientAuth{}, oerr
		}
		return clientAuth{acr: "2"}, nil
	case publicAllowed:
		return clientAuth{acr: "0"}, nil
	}
	return clientAuth{}, &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 7000218,
		desc: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

// resolvedScope is a scope parameter split into its one resource and the permissions requested
// on it.
type resolvedScope struct {
	resource *directory.ServicePrincipal
	audience string
	// names are permission values on the resource (".default" included).
	names []string
	// oidc are the OpenID Connect scopes requested.
	oidc []string
}

// resolveScope maps a scope parameter to a resource service principal. Scopes without a resource
// prefix (User.Read) and OIDC-only requests mean Microsoft Graph.
func resolveScope(tx *directory.Tx, tenantID, scope string) (resolvedScope, *oauthError) {
	var out resolvedScope
	var resourceID string
	for _, sc := range strings.Fields(scope) {
		if slices.Contains(oidcScopes, sc) {
			out.oidc = append(out.oidc, sc)
			continue
		}
		ident, name, sp, oerr := scopeResource(tx, tenantID, sc)
		if oerr != nil {
			return out, oerr
		}
		if out.resource != nil && out.resource.ID != sp.ID {
			return out, &oauthError{status: http.StatusBadRequest, err: oauthInvalidScope, code: 28000,
				desc: "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope " + scope + " is not valid."}
		}
		out.resource, resourceID = sp, ident
		out.names = append(out.names, name)
	}
	if out.resource == nil {
		out.resource = tx.GraphServicePrincipal()
		resourceID = graphAudience
	}
	out.audience = audienceFor(tx, out.resource, resourceID)
	return out, nil
}

// scopeResource splits one scope into its resource identifier and permission name (a scope without
// a resource prefix, such as User.Read, is Microsoft Graph's) and finds the resource's service
// principal.
func scopeResource(tx *directory.Tx, tenantID, scope string) (ident, name string, sp *directory.ServicePrincipal, oerr *oauthError) {
	ident, name = graphAudience, scope
	if i := strings.LastIndex(scope, "/"); i > 0 {
		ident, name = scope[:i], scope[i+1:]
	}
	if sp = tx.ServicePrincipalByIdentifier(ident); sp == nil {
		return ident, name, nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidResource, code: 500011,
			desc: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", ident, tenantID)}
	}
	return ident, name, sp, nil
}

// audienceFor is the aud of an access token for a resource: Graph's and Exchange's well-known
// URLs, a v2 API's appId, or the identifier URI the client asked for.
func audienceFor(tx *directory.Tx, sp *directory.ServicePrincipal, requested string) string {
	switch sp.AppID {
	case directory.MicrosoftGraphAppID:
		return graphAudience
	case directory.ExchangeOnlineAppID:
		return "https://outlook.office365.com"
	}
	if a := tx.ApplicationByAppID(sp.AppID); a != nil && a.API.RequestedAccessTokenVersion != nil && *a.API.RequestedAccessTokenVersion == 2 {
		return sp.AppID
	}
	if odata.IsGUID(requested) {
		return sp.AppID
	}
	return requested
}

func (p *Platform) clientCredentials(r *http.Request, t *directory.Directory, in tokenRequest) (map[string]any, *oauthError) {
	auth, oerr := p.authenticateClient(r, t, in, false)
	if oerr != nil {
		return nil, oerr
	}
	// MSAL adds "openid offline_access profile" to every request; Entra ignores OIDC scopes in the
	// client credentials flow.
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
	var claims jwt.MapClaims
	t.Do(func(tx *directory.Tx) {
		var res resolvedScope
		if res, oerr = resolveScope(tx, t.ID(), scope); oerr != nil {
			return
		}
		client := tx.ServicePrincipalByAppID(in.clientID)
		if client == nil {
			oerr = errMissingSP(in.clientID, t.ID())
			return
		}
		claims = p.baseAccessClaims(t, res.audience, in.clientID, auth, p.clock())
		claims[claimObjectID], claims[claimSubject], claims[claimIdentityType] = client.ID, client.ID, "app"
		if roles := tx.RolesOf(client.ID, res.resource); len(roles) > 0 {
			claims[claimRoles] = roles
		}
	})
	if oerr != nil {
		return nil, oerr
	}
	at, err := p.signer.sign(claims)
	if err != nil {
		return nil, serverError(err)
	}
	return accessTokenResponse(at), nil
}

// accessTokenResponse is the token endpoint's answer carrying an access token; callers add
// scope, id_token and refresh_token as they apply.
func accessTokenResponse(accessToken string) map[string]any {
	return map[string]any{
		"token_type": "Bearer", "expires_in": int(accessTokenLifetime.Seconds()) - 1,
		"ext_expires_in": int(accessTokenLifetime.Seconds()) - 1, "access_token": accessToken,
	}
}

// baseAccessClaims are the claims every access token carries.
func (p *Platform) baseAccessClaims(t *directory.Directory, aud, clientID string, auth clientAuth, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		claimAudience: aud, claimIssuer: p.issuer(t), claimIssuedAt: now.Unix(), claimNotBefore: now.Unix(),
		claimExpires: now.Add(accessTokenLifetime).Unix(), claimTenantID: t.ID(), claimAuthorizedParty: clientID, claimAppID: clientID,
		claimAzpACR: auth.acr, claimAppIDACR: auth.acr, claimVersion: "2.0", claimTokenID: strings.ReplaceAll(uuid.NewString(), "-", "")[:22],
	}
}

// userTokens issues access, ID and refresh tokens for a signed-in user.
func (p *Platform) userTokens(t *directory.Directory, clientID, userID, scope, nonce string, auth clientAuth) (map[string]any, *oauthError) {
	now := p.clock()
	var (
		res            resolvedScope
		scp            []string
		access, idTok  jwt.MapClaims
		oerr           *oauthError
		resolvedUserID string
	)
	t.Do(func(tx *directory.Tx) {
		var client *directory.ServicePrincipal
		var u *directory.User
		if client, u, oerr = userTokenParties(tx, t.ID(), clientID, userID); oerr != nil {
			return
		}
		if res, oerr = resolveScope(tx, t.ID(), scope); oerr != nil {
			return
		}
		granted := grantedScopes(tx, client.ID, res.resource, u.ID)
		requested := res.names
		if res.resource.ID == tx.GraphServicePrincipal().ID {
			requested = append(slices.Clone(res.oidc), res.names...)
		}
		scp = consentedScopes(requested, granted)
		sub := pairwiseSubject(u.ID, clientID)
		access = p.baseAccessClaims(t, res.audience, clientID, auth, now)
		access[claimObjectID], access[claimSubject], access[claimName], access[claimPreferredUsername] = u.ID, sub, u.DisplayName, u.UserPrincipalName
		if len(scp) > 0 {
			access[claimScopes] = strings.Join(scp, " ")
		}
		if slices.Contains(res.oidc, scopeOpenID) {
			idTok = p.idTokenClaims(tx, t, res, clientID, u, sub, nonce, now)
		}
		resolvedUserID = u.ID
	})
	if oerr != nil {
		return nil, oerr
	}
	at, err := p.signer.sign(access)
	if err != nil {
		return nil, serverError(err)
	}
	out := accessTokenResponse(at)
	out["scope"] = responseScope(res, scp)
	if idTok != nil {
		idt, err := p.signer.sign(idTok)
		if err != nil {
			return nil, serverError(err)
		}
		out["id_token"] = idt
	}
	if slices.Contains(res.oidc, scopeOfflineAccess) {
		out["refresh_token"] = p.sessions.refresh.issue(refreshGrant{session{
			tenantID: t.ID(), clientID: clientID, userID: resolvedUserID, scope: scope, expires: now.Add(refreshTokenLifetime),
		}})
	}
	return out, nil
}

// userTokenParties finds the client's service principal and the user a user token is for,
// refusing unknown clients and users.
func userTokenParties(tx *directory.Tx, tenantID, clientID, userID string) (*directory.ServicePrincipal, *directory.User, *oauthError) {
	if tx.ApplicationByAppID(clientID) == nil {
		return nil, nil, errUnknownClient(clientID, tenantID)
	}
	client := tx.ServicePrincipalByAppID(clientID)
	if client == nil {
		return nil, nil, errMissingSP(clientID, tenantID)
	}
	u := tx.User(userID)
	if u == nil {
		return nil, nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 50034,
			desc: fmt.Sprintf("The user account %s does not exist in the %s directory.", userID, tenantID)}
	}
	return client, u, nil
}

// mailProtocolScopes are Microsoft Graph's delegated permissions for Exchange Online's mail
// protocols. The portal lists them under Microsoft Graph, and once they are consented there a
// token for Exchange Online (https://outlook.office.com/SMTP.Send) carries them: the setup
// Microsoft documents in "Authenticate an IMAP, POP or SMTP connection using OAuth".
var mailProtocolScopes = []string{"IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"}

// grantedScopes are the delegated permissions consented to the client on the resource for the
// user, and for Exchange Online also the mail protocol permissions consented on Microsoft Graph.
func grantedScopes(tx *directory.Tx, clientSPID string, resource *directory.ServicePrincipal, userID string) []string {
	granted := tx.GrantedScopes(clientSPID, resource.ID, userID)
	if resource.AppID != directory.ExchangeOnlineAppID {
		return granted
	}
	for _, s := range tx.GrantedScopes(clientSPID, tx.GraphServicePrincipal().ID, userID) {
		if slices.Contains(mailProtocolScopes, s) && !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return granted
}

// consentedScopes is the scp of a user token: the requested scopes that were granted, with
// ".default" standing for every granted scope.
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

// responseScope is the scope member of a user token response: the OIDC scopes requested plus the
// granted permissions qualified by the audience.
func responseScope(res resolvedScope, scp []string) string {
	respScopes := slices.Clone(res.oidc)
	for _, n := range scp {
		if !slices.Contains(oidcScopes, n) {
			respScopes = append(respScopes, strings.TrimSuffix(res.audience, "/")+"/"+n)
		}
	}
	return strings.Join(respScopes, " ")
}

// idTokenClaims are the claims of the ID token issued to clientID for user u: profile claims
// with the profile scope, email with the email scope or the email optional claim.
func (p *Platform) idTokenClaims(tx *directory.Tx, t *directory.Directory, res resolvedScope, clientID string, u *directory.User, sub, nonce string, now time.Time) jwt.MapClaims {
	idClaims := jwt.MapClaims{
		claimAudience: clientID, claimIssuer: p.issuer(t), claimIssuedAt: now.Unix(), claimNotBefore: now.Unix(),
		claimExpires: now.Add(accessTokenLifetime).Unix(), claimTenantID: t.ID(), claimObjectID: u.ID, claimSubject: sub, claimVersion: "2.0",
	}
	if nonce != "" {
		idClaims[claimNonce] = nonce
	}
	if slices.Contains(res.oidc, scopeProfile) {
		idClaims[claimName], idClaims[claimPreferredUsername] = u.DisplayName, u.UserPrincipalName
	}
	a := tx.ApplicationByAppID(clientID)
	if slices.Contains(res.oidc, scopeEmail) || (a.OptionalClaims != nil && slices.ContainsFunc(a.OptionalClaims.IDToken, func(c directory.OptionalClaim) bool { return c.Name == claimEmail })) {
		idClaims[claimEmail] = u.Mail
	}
	return idClaims
}

// pairwiseSubject is Entra's per-application user identifier.
func pairwiseSubject(userID, clientID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(userID) + "|" + strings.ToLower(clientID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

// isPublicRedirect reports whether a code redirected to redirectURI went to a public client (SPA,
// mobile/desktop, or an application that declared itself one), which may redeem it without a
// credential when it used PKCE.
func isPublicRedirect(a *directory.Application, redirectURI string) bool {
	return slices.Contains(a.Spa.RedirectURIs, redirectURI) || slices.Contains(a.PublicClient.RedirectURIs, redirectURI) || isFallbackPublic(a)
}

func isFallbackPublic(a *directory.Application) bool {
	return a.IsFallbackPublicClient != nil && *a.IsFallbackPublicClient
}

func (p *Platform) authorizationCode(r *http.Request, t *directory.Directory, in tokenRequest) (map[string]any, *oauthError) {
	now := p.clock()
	code := in.get(paramCode)
	c, ok := p.sessions.codes.get(t.ID(), code)
	a, appExists := t.ApplicationByAppID(in.clientID)
	if !ok || !now.Before(c.expires) || !strings.EqualFold(c.clientID, in.clientID) || !appExists {
		return nil, errGrantExpired
	}
	if c.redeemed {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 54005,
			desc: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
	}
	if in.get("redirect_uri") != c.redirectURI {
		return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 50011,
			desc: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URI used in the authorization request.", in.get("redirect_uri"))}
	}
	if c.challenge != "" {
		verifier := in.get("code_verifier")
		if verifier == "" || !pkceMatches(c.challenge, c.challengeMethod, verifier) {
			return nil, &oauthError{status: http.StatusBadRequest, err: oauthInvalidGrant, code: 501481,
				desc: "The Code_Verifier does not match the code_challenge supplied in the authorization request."}
		}
	}
	auth, oerr := p.authenticateClient(r, t, in, isPublicRedirect(&a, c.redirectURI) && c.challenge != "")
	if oerr != nil {
		return nil, oerr
	}
	p.sessions.codes.update(code, func(c *authCode) { c.redeemed = true })
	return p.userTokens(t, in.clientID, c.userID, c.scope, c.nonce, auth)
}

func pkceMatches(challenge, method, verifier string) bool {
	want := verifier
	if strings.EqualFold(method, pkceMethodS256) {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (p *Platform) refreshToken(r *http.Request, t *directory.Directory, in tokenRequest) (map[string]any, *oauthError) {
	now := p.clock()
	g, ok := p.sessions.refresh.get(t.ID(), in.get("refresh_token"))
	a, appExists := t.ApplicationByAppID(in.clientID)
	if !ok || !now.Before(g.expires) || !strings.EqualFold(g.clientID, in.clientID) || !appExists {
		return nil, errGrantExpired
	}
	public := len(a.Spa.RedirectURIs)+len(a.PublicClient.RedirectURIs) > 0 || isFallbackPublic(&a)
	auth, oerr := p.authenticateClient(r, t, in, public)
	if oerr != nil {
		return nil, oerr
	}
	scope := in.get("scope")
	if scope == "" {
		scope = g.scope
	}
	if !slices.Contains(strings.Fields(scope), scopeOfflineAccess) {
		// A refresh keeps offline access; Entra always returns a new refresh token.
		scope += " " + scopeOfflineAccess
	}
	return p.userTokens(t, in.clientID, g.userID, scope, "", auth)
}
