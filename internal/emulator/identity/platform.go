// Package identity is the Entra emulator's Microsoft identity platform (v2.0 endpoints): OpenID
// Connect discovery, the JWKS, the token endpoint (client credentials with a secret, a certificate
// or a federated client assertion; authorization code with PKCE; refresh token), the
// authorization and admin consent endpoints that sign in a seeded test user without a browser,
// logout, and userinfo. It signs every token and verifies the access tokens Graph receives. Sign-in sessions
// (authorization codes, refresh tokens) live here, apart from the directory.
package identity

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// OAuth 2.0 error codes (RFC 6749 sections 4.1.2.1 and 5.2) the identity platform answers with.
const (
	oauthInvalidRequest          = "invalid_request"
	oauthInvalidClient           = "invalid_client"
	oauthInvalidGrant            = "invalid_grant"
	oauthInvalidScope            = "invalid_scope"
	oauthInvalidResource         = "invalid_resource"
	oauthUnauthorizedClient      = "unauthorized_client"
	oauthUnsupportedGrantType    = "unsupported_grant_type"
	oauthUnsupportedResponseType = "unsupported_response_type"
	oauthServerError             = "server_error"
	oauthTemporarilyUnavailable  = "temporarily_unavailable"
)

// Names of the members of an OAuth error response, both in a token endpoint JSON body and in an
// authorization response's parameters.
const (
	paramError            = "error"
	paramErrorDescription = "error_description"
)

// graphAudience is the aud of access tokens for Microsoft Graph.
const graphAudience = "https://graph.microsoft.com"

// multiTenantAliases are the authority segments that are not one tenant.
var multiTenantAliases = []string{"common", "organizations", "consumers"}

func isMultiTenantAlias(seg string) bool {
	for _, a := range multiTenantAliases {
		if strings.EqualFold(seg, a) {
			return true
		}
	}
	return false
}

// Platform serves the identity platform for every tenant of the emulator.
type Platform struct {
	baseURL  string
	clock    func() time.Time
	tenants  *directory.Registry
	faults   *faults.Faults
	signer   *tokenSigner
	sessions *sessions
	issuers  *trustedIssuers
}

// Config describes a Platform.
type Config struct {
	// BaseURL is the server's "https://host:port", the authority host and issuer host.
	BaseURL string
	// Clock is the emulator's time source for token lifetimes and credential validity.
	Clock func() time.Time
	// Tenants are the directories the platform signs in to.
	Tenants *directory.Registry
	// Faults counts requests and may stall the token endpoint.
	Faults *faults.Faults
	// IssuerHTTPClient fetches discovery documents and JWKS of external issuers named by
	// federated identity credentials.
	IssuerHTTPClient *http.Client
}

// New returns a Platform with a fresh token signing key.
func New(cfg Config) (*Platform, error) {
	signer, err := newTokenSigner()
	if err != nil {
		return nil, err
	}
	return &Platform{
		baseURL:  cfg.BaseURL,
		clock:    cfg.Clock,
		tenants:  cfg.Tenants,
		faults:   cfg.Faults,
		signer:   signer,
		sessions: &sessions{},
		issuers:  newTrustedIssuers(cfg.IssuerHTTPClient),
	}, nil
}

// Endpoints are a tenant's identity platform URLs, as published in its discovery document.
type Endpoints struct {
	Issuer, Discovery, Authorization, Token, JWKS, Logout, UserInfo, DeviceAuthorization string
}

// EndpointsOf returns the identity platform URLs of a tenant served at baseURL.
func EndpointsOf(baseURL, tenantID string) Endpoints {
	base := baseURL + "/" + tenantID
	return Endpoints{
		Issuer:              Issuer(baseURL, tenantID),
		Discovery:           base + "/v2.0/.well-known/openid-configuration",
		Authorization:       base + "/oauth2/v2.0/authorize",
		Token:               base + "/oauth2/v2.0/token",
		JWKS:                base + "/discovery/v2.0/keys",
		Logout:              base + "/oauth2/v2.0/logout",
		UserInfo:            baseURL + "/oidc/userinfo",
		DeviceAuthorization: base + "/oauth2/v2.0/devicecode",
	}
}

// Issuer is the v2.0 issuer of a tenant's tokens.
func Issuer(baseURL, tenantID string) string { return baseURL + "/" + tenantID + "/v2.0" }

func (p *Platform) issuer(t *directory.Directory) string { return Issuer(p.baseURL, t.ID()) }

// ServeHTTP routes /{tenant}/... identity platform requests, and describes the emulator at /.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	if path == "" {
		writeJSON(w, http.StatusOK, map[string]any{
			"service": "entra-emulator", "graph": p.baseURL + "/v1.0", "authorityHost": p.baseURL + "/",
		})
		return
	}
	seg, rest, _ := strings.Cut(path, "/")
	tenant := p.tenants.ByID(seg)
	if tenant == nil && !isMultiTenantAlias(seg) {
		tenant = p.tenants.ByDomain(seg)
		if tenant == nil {
			writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 90002,
				desc: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", seg)})
			return
		}
	}
	switch rest {
	case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration":
		p.serveDiscovery(w, seg, tenant)
	case "discovery/v2.0/keys", "discovery/keys":
		issuer := p.baseURL + "/{tenantid}/v2.0"
		if tenant != nil {
			issuer = p.issuer(tenant)
		}
		writeJSON(w, http.StatusOK, p.signer.jwks(issuer))
	case "oauth2/v2.0/token", "oauth2/token":
		p.serveToken(w, r, seg, tenant)
	case "oauth2/v2.0/authorize", "oauth2/authorize":
		p.serveAuthorize(w, r, seg, tenant)
	case "v2.0/adminconsent":
		p.serveAdminConsent(w, r, seg, tenant)
	case "oauth2/v2.0/logout", "oauth2/logout":
		p.serveLogout(w, r, tenant)
	case "oauth2/v2.0/devicecode":
		writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthUnsupportedGrantType, code: 70003,
			desc: "The device authorization flow is not supported by the Entra emulator; use the authorization code flow with login_hint."})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{paramError: "not_found", paramErrorDescription: "No such endpoint: /" + path})
	}
}

// serveDiscovery publishes the OpenID Connect metadata Entra publishes for a tenant (or, for
// /common and friends, with a {tenantid} issuer template).
func (p *Platform) serveDiscovery(w http.ResponseWriter, seg string, t *directory.Directory) {
	base := p.baseURL + "/" + seg
	issuer := p.baseURL + "/{tenantid}/v2.0"
	if t != nil {
		base = p.baseURL + "/" + t.ID()
		issuer = p.issuer(t)
	}
	doc := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{algRS256},
		"response_types_supported":              []string{responseTypeCode, "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      oidcScopes,
		"issuer":                                issuer,
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     p.baseURL + "/oidc/userinfo",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported": []string{claimSubject, claimIssuer, "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", claimAudience, claimExpires, claimIssuedAt, "auth_time", "acr", claimNonce, claimPreferredUsername, claimName,
			claimTenantID, claimVersion, "at_hash", "c_hash", claimEmail},
		"code_challenge_methods_supported": []string{pkceMethodPlain, pkceMethodS256},
		"grant_types_supported":            []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials},
		"kerberos_endpoint":                base + "/kerberos",
		"tenant_region_scope":              "EU",
		"cloud_instance_name":              "microsoftonline.com",
		"cloud_graph_host_name":            "graph.windows.net",
		"msgraph_host":                     strings.TrimPrefix(p.baseURL, "https://"),
		"rbac_url":                         "https://pas.windows.net",
	}
	writeJSON(w, http.StatusOK, doc)
}

// oauthError is an identity platform error: an OAuth error code plus the AADSTS number Entra
// reports.
type oauthError struct {
	status int
	err    string
	code   int
	desc   string
}

func (e *oauthError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.desc) }

// writeOAuthError writes Entra's token endpoint error body.
func writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	req := wire.RequestFrom(r.Context())
	stamp := req.Received.UTC().Format("2006-01-02 15:04:05Z")
	desc := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", e.code, e.desc, req.ID, req.ClientID, stamp)
	writeJSON(w, e.status, map[string]any{
		paramError:            e.err,
		paramErrorDescription: desc,
		"error_codes":         []int{e.code},
		"timestamp":           stamp,
		"trace_id":            req.ID,
		"correlation_id":      req.ClientID,
		"error_uri":           fmt.Sprintf("https://%s/error?code=%d", r.Host, e.code),
	})
}

// writeJSON writes the identity platform's JSON, which proxies must not cache (it carries tokens).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store, no-cache")
	wire.WriteJSON(w, status, "application/json; charset=utf-8", v)
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html><head><title>Sign in to your account</title></head>
<body><h1>Sorry, but we’re having trouble signing you in.</h1>
<p id="error">AADSTS{{.Code}}: {{.Desc}}</p>
<p>Request Id: {{.RequestID}}<br>Correlation Id: {{.CorrelationID}}</p></body></html>
`))

// writeErrorPage renders the HTML error page Entra shows when it must not redirect (unknown
// client, unregistered redirect URI).
func writeErrorPage(w http.ResponseWriter, r *http.Request, e *oauthError) {
	req := wire.RequestFrom(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("x-ms-error-code", fmt.Sprintf("AADSTS%d", e.code))
	w.WriteHeader(e.status)
	_ = errorPage.Execute(w, map[string]any{"Code": e.code, "Desc": e.desc, "RequestID": req.ID, "CorrelationID": req.ClientID})
}

// newOpaque returns a random URL-safe token for codes and refresh tokens.
func newOpaque() string {
	return strings.ReplaceAll(uuid.NewString()+uuid.NewString()+uuid.NewString(), "-", "")
}
