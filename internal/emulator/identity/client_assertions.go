package identity

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
)

// This file is private_key_jwt client authentication at the token endpoint (RFC 7523): a client
// proves who it is with a JWT it signed, either with the private key of a certificate registered
// on its application, or, for workload identity federation, with a token from an external issuer
// that one of its federated identity credentials trusts.

// assertionAlgs are the JWS algorithms accepted in client assertions.
var assertionAlgs = []string{algRS256, algRS384, algRS512, algPS256, algPS384, algPS512, algES256, algES384, algES512}

// verifyClientAssertion authenticates a client_assertion: a certificate
// assertion when its header names a thumbprint (x5t or x5t#S256) of one of
// the application's key credentials, otherwise a federated assertion that
// must match one of its federated identity credentials.
func (p *Platform) verifyClientAssertion(r *http.Request, t *directory.Directory, a *directory.Application, assertion, tokenURL string, now time.Time) *oauthError {
	parser := jwt.NewParser()
	unverified, _, err := parser.ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidClient, code: 50027,
			desc: "JWT token is invalid or malformed."}
	}
	x5t, _ := unverified.Header["x5t"].(string)
	x5tS256, _ := unverified.Header["x5t#S256"].(string)
	if x5t != "" || x5tS256 != "" {
		return p.verifyCertificateAssertion(t, a, assertion, x5t, x5tS256, tokenURL, now)
	}
	return p.verifyFederatedAssertion(r.Context(), a, assertion, now)
}

// certificateAudiences are the aud values Entra accepts in a certificate
// client assertion: the token endpoint (v2 or v1, tenant ID or the segment
// the client used) and the issuer.
func (p *Platform) certificateAudiences(t *directory.Directory, tokenURL string) []string {
	base := p.baseURL + "/" + t.ID()
	return []string{tokenURL, base + "/oauth2/v2.0/token", base + "/oauth2/token", p.issuer(t), base, base + "/"}
}

func (p *Platform) verifyCertificateAssertion(t *directory.Directory, a *directory.Application, assertion, x5t, x5tS256, tokenURL string, now time.Time) *oauthError {
	i := slices.IndexFunc(a.KeyCredentials, func(kc directory.KeyCredential) bool { return kc.HasThumbprint(x5t, x5tS256) })
	if i < 0 {
		return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700027,
			desc: fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", x5t+x5tS256, a.AppID)}
	}
	match := a.KeyCredentials[i]
	if !match.ActiveAt(now) {
		return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700027,
			desc: fmt.Sprintf("Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '%s', app Id '%s'.]", x5t+x5tS256, a.AppID)}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return match.Certificate().PublicKey, nil },
		jwt.WithValidMethods(assertionAlgs), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) || errors.Is(err, jwt.ErrTokenNotValidYet) {
			return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700024,
				desc: "Client assertion is not within its valid time range."}
		}
		return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700027,
			desc: "Client assertion failed signature validation."}
	}
	iss, _ := claims.GetIssuer()
	sub, _ := claims.GetSubject()
	if !strings.EqualFold(iss, a.AppID) || !strings.EqualFold(sub, a.AppID) {
		return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700021,
			desc: "Client assertion application identifier doesn't match 'client_id' parameter."}
	}
	auds, _ := claims.GetAudience()
	allowed := p.certificateAudiences(t, tokenURL)
	if !slices.ContainsFunc(auds, func(v string) bool { return slices.Contains(allowed, v) }) {
		return &oauthError{status: http.StatusUnauthorized, err: oauthInvalidClient, code: 700212,
			desc: fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", strings.Join(auds, ","))}
	}
	return nil
}

func (p *Platform) verifyFederatedAssertion(ctx context.Context, a *directory.Application, assertion string, now time.Time) *oauthError {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, claims); err != nil {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidClient, code: 50027, desc: "JWT token is invalid or malformed."}
	}
	iss, _ := claims.GetIssuer()
	sub, _ := claims.GetSubject()
	auds, _ := claims.GetAudience()
	var byIssuer []directory.FederatedIdentityCredential
	for _, f := range a.FederatedIdentityCredentials {
		if f.Issuer == iss {
			byIssuer = append(byIssuer, f)
		}
	}
	if len(byIssuer) == 0 {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 700211,
			desc: fmt.Sprintf("No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", iss)}
	}
	var fic *directory.FederatedIdentityCredential
	for i := range byIssuer {
		if byIssuer[i].Subject == sub {
			fic = &byIssuer[i]
			break
		}
	}
	if fic == nil {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 700213,
			desc: fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub)}
	}
	if !slices.ContainsFunc(auds, func(v string) bool { return slices.Contains(fic.Audiences, v) }) {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidRequest, code: 700212,
			desc: fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", strings.Join(auds, ","))}
	}
	verifier, err := p.issuers.verifier(ctx, iss, now)
	if err != nil {
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidClient, code: 700222,
			desc: fmt.Sprintf("Unable to obtain the signing keys of issuer '%s': %v", iss, err)}
	}
	if _, err := verifier.Verify(ctx, assertion); err != nil {
		if strings.Contains(err.Error(), "expired") {
			return &oauthError{status: http.StatusBadRequest, err: oauthInvalidClient, code: 700024,
				desc: "Client assertion is not within its valid time range."}
		}
		return &oauthError{status: http.StatusBadRequest, err: oauthInvalidClient, code: 5002738,
			desc: "Invalid JWT token. The token signature could not be verified against the issuer's keys."}
	}
	return nil
}

// trustedIssuers holds issuer keys registered by TrustIssuer, and OIDC providers discovered for
// other issuers.
type trustedIssuers struct {
	httpClient *http.Client
	mu         sync.Mutex
	keys       map[string][]crypto.PublicKey
	providers  map[string]*oidc.Provider
}

func newTrustedIssuers(httpClient *http.Client) *trustedIssuers {
	return &trustedIssuers{httpClient: httpClient, keys: map[string][]crypto.PublicKey{}, providers: map[string]*oidc.Provider{}}
}

// TrustIssuer registers the signing keys of an external token issuer (for example a Kubernetes
// service account issuer) so federated assertions from it are verified without fetching its
// discovery document. Calling it again for the same issuer replaces the keys.
func (p *Platform) TrustIssuer(issuer string, keys ...crypto.PublicKey) {
	p.issuers.mu.Lock()
	defer p.issuers.mu.Unlock()
	p.issuers.keys[issuer] = slices.Clone(keys)
}

// verifier verifies tokens of an issuer: with registered keys, or via its OIDC discovery document
// and JWKS.
func (ti *trustedIssuers) verifier(ctx context.Context, issuer string, now time.Time) (*oidc.IDTokenVerifier, error) {
	cfg := &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: assertionAlgs, Now: func() time.Time { return now }}
	ti.mu.Lock()
	keys, trusted := ti.keys[issuer]
	provider := ti.providers[issuer]
	ti.mu.Unlock()
	if trusted {
		return oidc.NewVerifier(issuer, &oidc.StaticKeySet{PublicKeys: keys}, cfg), nil
	}
	if provider == nil {
		var err error
		// The provider outlives this request: its key set refreshes itself with the context given
		// here, so it must not be request-scoped.
		pctx := oidc.ClientContext(context.WithoutCancel(ctx), ti.httpClient)
		provider, err = oidc.NewProvider(pctx, issuer)
		if err != nil {
			return nil, fmt.Errorf("discover issuer %s: %w", issuer, err)
		}
		ti.mu.Lock()
		ti.providers[issuer] = provider
		ti.mu.Unlock()
	}
	return provider.Verifier(cfg), nil
}
