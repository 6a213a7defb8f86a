package secretproof

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The OAuth 2.0 parameters the proofs send (RFC 6749).
const (
	paramClientID     = "client_id"
	paramClientSecret = "client_secret"
	paramGrantType    = "grant_type"
	paramScope        = "scope"
	paramRedirectURI  = "redirect_uri"
)

// signIn is an authorization code sign-in as a web CRM does it: it sends the browser to the
// authorization endpoint, takes the code from the redirect to its own callback, and redeems it
// with its client secret.
type signIn struct {
	id           identity
	clientSecret string
	authorizeURL string
	tokenURL     string
	redirectURI  string
	scope        string
	// loginHint names the user to sign in, when the caller knows whom to expect.
	loginHint string
}

// run signs in and returns the token endpoint's answer and the nonce the ID token must carry.
func (p signIn) run(ctx context.Context, client *http.Client) (tokenAnswer, string, error) {
	state, nonce := randomString(), randomString()
	q := url.Values{
		paramClientID: {p.id.clientID}, "response_type": {"code"}, paramRedirectURI: {p.redirectURI},
		paramScope: {p.scope}, "state": {state}, "nonce": {nonce}, "response_mode": {"query"},
	}
	if p.loginHint != "" {
		q.Set("login_hint", p.loginHint)
	}
	sep := "?"
	if strings.Contains(p.authorizeURL, "?") {
		sep = "&"
	}
	code, err := authorize(ctx, client, p.authorizeURL+sep+q.Encode(), p.redirectURI, state)
	if err != nil {
		return tokenAnswer{}, "", err
	}
	answer, err := postToken(ctx, client, p.tokenURL, url.Values{
		paramGrantType: {"authorization_code"}, paramClientID: {p.id.clientID}, paramClientSecret: {p.clientSecret},
		"code": {code}, paramRedirectURI: {p.redirectURI}, paramScope: {p.scope},
	})
	if err != nil {
		return tokenAnswer{}, "", fmt.Errorf("redeeming the authorization code: %w", err)
	}
	return answer, nonce, nil
}

// aadsts finds Entra's error code (AADSTS50011) in an error page.
var aadsts = regexp.MustCompile(`AADSTS\d+`)

// authorize plays the browser at the authorization endpoint: Entra signs the user in (the
// emulator signs in a seeded test user without a page) and redirects to redirectURI with a code,
// which it returns. An error page, an error redirect or a redirect elsewhere fails.
func authorize(ctx context.Context, client *http.Client, authURL, redirectURI, state string) (string, error) {
	browser := *client
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	res, err := browser.Do(req)
	if err != nil {
		return "", fmt.Errorf("the authorization endpoint: %w", err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		return "", fmt.Errorf("the authorization endpoint answered HTTP %d %s instead of sending the browser back to %s",
			res.StatusCode, aadsts.FindString(string(body)), redirectURI)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		return "", fmt.Errorf("the authorization endpoint's redirect: %w", err)
	}
	back := *loc
	back.RawQuery, back.Fragment = "", ""
	if back.String() != redirectURI {
		return "", fmt.Errorf("the authorization endpoint sent the browser to %s, not to %s", back.String(), redirectURI)
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("the sign-in failed: %s %s", e, firstLine(q.Get("error_description")))
	}
	if q.Get("state") != state {
		return "", errors.New("the authorization response carries another state than the request")
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("the authorization response carries no code")
	}
	return code, nil
}

// randomString is an unguessable state or nonce.
func randomString() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
