package secretproof

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// wellKnownSuffix ends every OpenID Connect discovery URL (OpenID Connect Discovery 1.0, section 4).
const wellKnownSuffix = "/.well-known/openid-configuration"

// discoveredEndpoints pairs the Secret's endpoint keys with the discovery document's members, so the
// proof checks that every endpoint a CRM reads from the Secret is the one the tenant publishes.
var discoveredEndpoints = []struct{ secretKey, member string }{
	{secretdata.KeyAuthorizationEndpoint, "authorization_endpoint"},
	{secretdata.KeyTokenEndpoint, "token_endpoint"},
	{secretdata.KeyJWKSURI, "jwks_uri"},
	{secretdata.KeyEndSessionEndpoint, "end_session_endpoint"},
	{secretdata.KeyUserinfoEndpoint, "userinfo_endpoint"},
	{secretdata.KeyDeviceAuthorizationEndpoint, "device_authorization_endpoint"},
}

// discoveryProver does what an OIDC client library does first: fetch the discovery document from the
// Secret's discovery URL, insist that its issuer is the Secret's issuer, and fetch the signing keys.
var discoveryProver = Prover{
	Name:  "OIDC discovery",
	Needs: []string{secretdata.KeyDiscoveryURL, secretdata.KeyIssuer, secretdata.KeyTokenEndpoint, secretdata.KeyJWKSURI},
	Prove: proveDiscovery,
}

func proveDiscovery(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
	discoveryURL := string(secret[secretdata.KeyDiscoveryURL])
	issuer := string(secret[secretdata.KeyIssuer])
	base, ok := strings.CutSuffix(discoveryURL, wellKnownSuffix)
	if !ok {
		return "", fmt.Errorf("%s %q does not end in %s", secretdata.KeyDiscoveryURL, discoveryURL, wellKnownSuffix)
	}
	ctx = oidc.ClientContext(ctx, client)
	if base != issuer {
		// Azure China publishes its discovery document on login.chinacloudapi.cn but issues tokens as
		// login.partner.microsoftonline.cn: go-oidc then needs the issuer spelled out, and the check
		// below compares it with the document itself.
		ctx = oidc.InsecureIssuerURLContext(ctx, issuer)
	}
	provider, err := oidc.NewProvider(ctx, base)
	if err != nil {
		return "", fmt.Errorf("discovery from %s: %w", discoveryURL, err)
	}
	doc := map[string]any{}
	if err := provider.Claims(&doc); err != nil {
		return "", fmt.Errorf("reading the discovery document: %w", err)
	}
	if got, _ := doc["issuer"].(string); got != issuer {
		return "", fmt.Errorf("the discovery document's issuer %q is not %s %q", got, secretdata.KeyIssuer, issuer)
	}
	matched := []string{secretdata.KeyIssuer}
	for _, e := range discoveredEndpoints {
		want := string(secret[e.secretKey])
		if want == "" {
			continue
		}
		if got, _ := doc[e.member].(string); got != want {
			return "", fmt.Errorf("the discovery document's %s %q is not %s %q", e.member, got, e.secretKey, want)
		}
		matched = append(matched, e.secretKey)
	}
	keys, err := countSigningKeys(ctx, client, string(secret[secretdata.KeyJWKSURI]))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("issuer and %d endpoints match the discovery document; JWKS holds %d signing key(s)",
		len(matched)-1, keys), nil
}

// countSigningKeys fetches the JWKS and counts its keys, so a Secret whose jwks_uri answers with no
// key (a CRM could then verify no ID token) fails the proof.
func countSigningKeys(ctx context.Context, client *http.Client, jwksURI string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURI, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", secretdata.KeyJWKSURI, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("reading the JWKS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("fetching the JWKS from %s: HTTP %d", jwksURI, resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return 0, fmt.Errorf("the JWKS at %s is not a JSON key set: %w", jwksURI, err)
	}
	if len(set.Keys) == 0 {
		return 0, errors.New("the JWKS at " + jwksURI + " holds no key")
	}
	return len(set.Keys), nil
}
