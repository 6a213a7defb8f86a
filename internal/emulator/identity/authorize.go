package identity

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
)

// responseTypeCode is the response_type of the authorization code flow, the
// only one the emulator serves.
const responseTypeCode = "code"

// PKCE code challenge methods (RFC 7636 section 4.2).
const (
	pkceMethodPlain = "plain"
	pkceMethodS256  = "S256"
)

// Parameters of a successful authorization response (RFC 6749 section
// 4.1.2); errors use paramError and paramErrorDescription.
const (
	paramCode  = "code"
	paramState = "state"
)

// serveAuthorize is the authorization endpoint. There is no browser: it
// signs in a seeded test user (login_hint picks which, default the first)
// and redirects with a code, but only to a redirect URI the application has
// registered. Anything it cannot redirect safely is shown as an error page.
func (p *Platform) serveAuthorize(w http.ResponseWriter, r *http.Request, seg string, t *directory.Directory) {
	q, t, a, ok := p.browserClient(w, r, "authorize", seg, t)
	if !ok {
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !isRegisteredRedirect(&a, redirectURI) {
		writeErrorPage(w, r, &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 50011,
			desc: fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", redirectURI, a.AppID)})
		return
	}

	// From here on errors go back to the (registered) client.
	mode := q.Get("response_mode")
	state := q.Get(paramState)
	fail := func(errCode string, code int, desc string) {
		redirectBack(w, r, redirectURI, mode, url.Values{paramError: {errCode},
			paramErrorDescription: {fmt.Sprintf("AADSTS%d: %s", code, desc)}, paramState: {state}})
	}
	if rt := q.Get("response_type"); rt != responseTypeCode {
		fail(oauthUnsupportedResponseType, 700054, fmt.Sprintf("response_type '%s' is not supported by the Entra emulator; use 'code'.", rt))
		return
	}
	scope := q.Get("scope")
	if strings.TrimSpace(scope) == "" {
		fail(oauthInvalidRequest, 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	method := q.Get("code_challenge_method")
	challenge := q.Get("code_challenge")
	if challenge != "" && method == "" {
		method = pkceMethodPlain
	}
	if challenge != "" && method != pkceMethodPlain && method != pkceMethodS256 {
		fail(oauthInvalidRequest, 501491, "Invalid code_challenge_method: use S256 or plain.")
		return
	}
	user, oerr := signedInUser(t, q.Get("login_hint"))
	if oerr != nil {
		writeErrorPage(w, r, oerr)
		return
	}
	code := p.sessions.codes.issue(authCode{
		session:     session{tenantID: t.ID(), clientID: a.AppID, userID: user.ID, scope: scope, expires: p.clock().Add(authCodeLifetime)},
		redirectURI: redirectURI, nonce: q.Get("nonce"), challenge: challenge, challengeMethod: method,
	})
	redirectBack(w, r, redirectURI, mode, url.Values{paramCode: {code}, paramState: {state}, "session_state": {pairwiseSubject(user.ID, "session")}})
}

// browserForm parses the parameters of a request a browser sends and counts it under op; a
// request that does not parse gets the error page.
func (p *Platform) browserForm(w http.ResponseWriter, r *http.Request, op string) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		writeErrorPage(w, r, errInvalidForm)
		return nil, false
	}
	p.faults.CountOperation(op)
	return r.Form, true
}

// browserClient starts an endpoint a browser visits for a client (authorize, admin consent): it
// parses the parameters, counts the request under op, and finds the tenant and the application
// client_id names. What it cannot find is shown as an error page, since there is no registered
// redirect URI to return to yet.
func (p *Platform) browserClient(w http.ResponseWriter, r *http.Request, op, seg string, t *directory.Directory) (url.Values, *directory.Directory, directory.Application, bool) {
	q, ok := p.browserForm(w, r, op)
	if !ok {
		return nil, nil, directory.Application{}, false
	}
	clientID := q.Get("client_id")
	t, oerr := p.clientTenant(t, clientID, seg)
	if oerr != nil {
		writeErrorPage(w, r, oerr)
		return nil, nil, directory.Application{}, false
	}
	a, ok := t.ApplicationByAppID(clientID)
	if !ok {
		writeErrorPage(w, r, errUnknownClient(clientID, t.ID()))
		return nil, nil, directory.Application{}, false
	}
	return q, t, a, true
}

// isRegisteredRedirect requires an exact match with a web, SPA or public
// client redirect URI, as Entra does.
func isRegisteredRedirect(a *directory.Application, uri string) bool {
	if uri == "" {
		return false
	}
	return slices.Contains(a.Web.RedirectURIs, uri) || slices.Contains(a.Spa.RedirectURIs, uri) || slices.Contains(a.PublicClient.RedirectURIs, uri)
}

var formPostPage = template.Must(template.New("form_post").Parse(`<html><head><title>Working...</title></head>
<body onload="document.forms[0].submit()"><form method="POST" action="{{.Action}}">
{{range $k, $v := .Values}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}" />
{{end}}<noscript><input type="submit" value="Continue" /></noscript></form></body></html>
`))

// redirectBack returns parameters to the client per response_mode.
func redirectBack(w http.ResponseWriter, r *http.Request, redirectURI, mode string, vals url.Values) {
	for k, v := range vals {
		if len(v) == 0 || v[0] == "" {
			delete(vals, k)
		}
	}
	switch mode {
	case "form_post":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = formPostPage.Execute(w, map[string]any{"Action": redirectURI, "Values": vals})
	case "fragment":
		http.Redirect(w, r, redirectURI+"#"+vals.Encode(), http.StatusFound)
	default:
		sep := "?"
		if strings.Contains(redirectURI, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirectURI+sep+vals.Encode(), http.StatusFound)
	}
}

var signedOutPage = template.Must(template.New("signed_out").Parse(`<!DOCTYPE html>
<html><head><title>Sign out</title></head><body><h1>You signed out of your account</h1>
<p>It's a good idea to close all browser windows.</p>{{if .}}<p>{{.}}</p>{{end}}</body></html>
`))

// serveLogout ends the (notional) session and sends the browser back to
// post_logout_redirect_uri only when the application registered it (as its
// logout URL or a redirect URI); otherwise it shows the signed-out page.
func (p *Platform) serveLogout(w http.ResponseWriter, r *http.Request, t *directory.Directory) {
	q, ok := p.browserForm(w, r, "logout")
	if !ok {
		return
	}
	target := q.Get("post_logout_redirect_uri")
	clientID := q.Get("client_id")
	if clientID == "" {
		if hint := q.Get("id_token_hint"); hint != "" {
			// An expired hint still identifies the client.
			if claims, err := p.signer.verifySignature(hint); err == nil {
				clientID, _ = claims[claimAudience].(string)
			}
		}
	}
	note := ""
	if target != "" && clientID != "" {
		if t == nil {
			t = p.tenants.OfClient(clientID)
		}
		if t != nil {
			ok := false
			t.Do(func(tx *directory.Tx) {
				app := tx.ApplicationByAppID(clientID)
				ok = app != nil && (isRegisteredRedirect(app, target) || (app.Web.LogoutURL != nil && *app.Web.LogoutURL == target))
			})
			if ok {
				vals := url.Values{}
				if st := q.Get(paramState); st != "" {
					vals.Set(paramState, st)
				}
				dest := target
				if len(vals) > 0 {
					dest += "?" + vals.Encode()
				}
				http.Redirect(w, r, dest, http.StatusFound)
				return
			}
		}
		note = "The post_logout_redirect_uri is not registered for this application, so you were not redirected."
	} else if target != "" {
		note = "No client_id or id_token_hint identified the application, so you were not redirected."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = signedOutPage.Execute(w, note)
}
