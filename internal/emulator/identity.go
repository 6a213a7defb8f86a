package emulator

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// OAuth 2.0 error codes (RFC 6749 sections 4.1.2.1 and 5.2) the identity
// platform answers with.
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
)

// Names of the members of an OAuth error response, both in a token
// endpoint JSON body and in an authorization response's parameters.
const (
	paramError            = "error"
	paramErrorDescription = "error_description"
)

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

// serveIdentity routes /{tenant}/... identity platform requests.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	if path == "" {
		writeBodyJSON(w, http.StatusOK, map[string]any{
			"service": "entra-emulator", "graph": s.GraphBaseURL(), "authorityHost": s.AuthorityHost(),
		})
		return
	}
	seg, rest, _ := strings.Cut(path, "/")
	tenant := s.tenantFor(seg)
	if tenant == nil && !isMultiTenantAlias(seg) {
		tenant = s.tenantByDomain(seg)
		if tenant == nil {
			writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 90002,
				desc: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", seg)})
			return
		}
	}
	switch rest {
	case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration":
		s.serveDiscovery(w, r, seg, tenant)
	case "discovery/v2.0/keys", "discovery/keys":
		issuer := s.url + "/{tenantid}/v2.0"
		if tenant != nil {
			issuer = tenant.Issuer()
		}
		writeBodyJSON(w, http.StatusOK, s.signer.jwks(issuer))
	case "oauth2/v2.0/token", "oauth2/token":
		s.serveToken(w, r, seg, tenant)
	case "oauth2/v2.0/authorize", "oauth2/authorize":
		s.serveAuthorize(w, r, tenant)
	case "oauth2/v2.0/logout", "oauth2/logout":
		s.serveLogout(w, r, tenant)
	case "oauth2/v2.0/devicecode":
		writeOAuthError(w, r, &oauthError{status: http.StatusBadRequest, err: oauthUnsupportedGrantType, code: 70003,
			desc: "The device authorization flow is not supported by the Entra emulator; use the authorization code flow with login_hint."})
	default:
		writeBodyJSON(w, http.StatusNotFound, map[string]any{paramError: "not_found", paramErrorDescription: "No such endpoint: /" + path})
	}
}

func (s *Server) tenantByDomain(seg string) *Tenant {
	for _, t := range s.tenants {
		if strings.EqualFold(t.domain, seg) {
			return t
		}
	}
	return nil
}

// serveDiscovery publishes the OpenID Connect metadata Entra publishes for
// a tenant (or, for /common and friends, with a {tenantid} issuer template).
func (s *Server) serveDiscovery(w http.ResponseWriter, _ *http.Request, seg string, t *Tenant) {
	base := s.url + "/" + seg
	issuer := s.url + "/{tenantid}/v2.0"
	if t != nil {
		base = s.url + "/" + t.id
		issuer = t.Issuer()
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
		"userinfo_endpoint":                     s.url + "/oidc/userinfo",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported": []string{claimSubject, claimIssuer, "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", claimAudience, claimExpires, claimIssuedAt, "auth_time", "acr", claimNonce, claimPreferredUsername, claimName,
			claimTenantID, claimVersion, "at_hash", "c_hash", claimEmail},
		"code_challenge_methods_supported": []string{pkceMethodPlain, pkceMethodS256},
		"grant_types_supported":            []string{"authorization_code", "refresh_token", "client_credentials"},
		"kerberos_endpoint":                base + "/kerberos",
		"tenant_region_scope":              "EU",
		"cloud_instance_name":              "microsoftonline.com",
		"cloud_graph_host_name":            "graph.windows.net",
		"msgraph_host":                     strings.TrimPrefix(s.url, "https://"),
		"rbac_url":                         "https://pas.windows.net",
	}
	writeBodyJSON(w, http.StatusOK, doc)
}

// serveUserInfo answers the OIDC userinfo endpoint for user access tokens
// issued for Microsoft Graph.
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	who, t, gerr := s.authenticateGraph(r, s.now())
	if gerr != nil {
		writeGraphError(w, r, gerr)
		return
	}
	t.mu.Lock()
	u := t.userByIDLocked(who.oid)
	var user User
	if u != nil {
		user = *u
	}
	t.mu.Unlock()
	if u == nil || !who.perms[scopeOpenID] {
		writeGraphError(w, r, errUnauthorized("The userinfo endpoint needs a user token with the openid scope."))
		return
	}
	writeBodyJSON(w, http.StatusOK, map[string]any{
		claimSubject:  pairwiseSubject(user.ID, who.appID),
		claimName:     user.DisplayName,
		"family_name": user.Surname,
		"given_name":  user.GivenName,
		claimEmail:    user.Mail,
	})
}

// oauthError is an identity platform error: an OAuth error code plus the
// AADSTS number Entra reports.
type oauthError struct {
	status int
	err    string
	code   int
	desc   string
}

func (e *oauthError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.desc) }

// writeOAuthError writes Entra's token endpoint error body.
func writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	ids := requestIDsFrom(r.Context())
	now := time.Now().UTC()
	desc := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
		e.code, e.desc, ids.request, ids.client, now.Format("2006-01-02 15:04:05Z"))
	writeBodyJSON(w, e.status, map[string]any{
		paramError:            e.err,
		paramErrorDescription: desc,
		"error_codes":         []int{e.code},
		"timestamp":           now.Format("2006-01-02 15:04:05Z"),
		"trace_id":            ids.request,
		"correlation_id":      ids.client,
		"error_uri":           fmt.Sprintf("%s/error?code=%d", requestBase(r), e.code),
	})
}

func requestBase(r *http.Request) string { return "https://" + r.Host }

// writeBodyJSON writes plain application/json (identity platform style).
func writeBodyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html><head><title>Sign in to your account</title></head>
<body><h1>Sorry, but we’re having trouble signing you in.</h1>
<p id="error">AADSTS{{.Code}}: {{.Desc}}</p>
<p>Request Id: {{.RequestID}}<br>Correlation Id: {{.CorrelationID}}</p></body></html>
`))

// writeErrorPage renders the HTML error page Entra shows when it must not
// redirect (unknown client, unregistered redirect URI).
func writeErrorPage(w http.ResponseWriter, r *http.Request, e *oauthError) {
	ids := requestIDsFrom(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("x-ms-error-code", fmt.Sprintf("AADSTS%d", e.code))
	w.WriteHeader(e.status)
	_ = errorPage.Execute(w, map[string]any{"Code": e.code, "Desc": e.desc, "RequestID": ids.request, "CorrelationID": ids.client})
}

// newOpaque returns a random URL-safe token for codes and refresh tokens.
func newOpaque() string {
	return strings.ReplaceAll(uuid.NewString()+uuid.NewString()+uuid.NewString(), "-", "")
}
