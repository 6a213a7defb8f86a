package secretproof

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// clientSecretProver signs in as the application with its client secret (the OAuth 2.0 client
// credentials grant a CRM's background jobs use) and checks that the token is really the
// application's: signed by a key of the Secret's JWKS, for the Secret's tenant and client ID.
var clientSecretProver = Prover{
	Name: "client credentials with AZURE_CLIENT_SECRET",
	Needs: []string{
		secretdata.KeyTenantID, secretdata.KeyClientID, secretdata.KeyClientSecret,
		secretdata.KeyTokenEndpoint, secretdata.KeyJWKSURI,
	},
	Prove: proveClientSecret,
}

// accessTokenClaims are the claims of an Entra access token the proof compares with the Secret.
type accessTokenClaims struct {
	TenantID string `json:"tid"`
	// AppID (v1 tokens) and AuthorizedParty (v2 tokens) name the client the token was issued to.
	AppID           string `json:"appid"`
	AuthorizedParty string `json:"azp"`
	Audience        string `json:"aud"`
	Expiry          int64  `json:"exp"`
	// Roles are the application permissions the token carries, Scopes the delegated ones (space
	// separated), PreferredUsername the signed-in user.
	Roles             []string `json:"roles"`
	Scopes            string   `json:"scp"`
	PreferredUsername string   `json:"preferred_username"`
}

func proveClientSecret(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
	clientID := string(secret[secretdata.KeyClientID])
	// The application asks for a token to itself: that needs no API permission or consent, so it
	// proves the secret alone. Entra signs such tokens with the tenant's published keys (unlike
	// Graph's), so the signature can be checked too.
	token, err := clientCredentialsToken(ctx, client, secret, clientID+"/.default")
	if err != nil {
		return "", err
	}
	return verifyAppToken(ctx, client, secret, token)
}

// verifyAppToken checks that an access token the application got for itself is really the
// application's: signed by a key of the Secret's JWKS, for the Secret's tenant and client ID.
func verifyAppToken(ctx context.Context, client *http.Client, secret map[string][]byte, accessToken string) (string, error) {
	clientID := string(secret[secretdata.KeyClientID])
	keySet := oidc.NewRemoteKeySet(oidc.ClientContext(ctx, client), string(secret[secretdata.KeyJWKSURI]))
	payload, err := keySet.VerifySignature(ctx, accessToken)
	if err != nil {
		return "", fmt.Errorf("the access token's signature does not verify with %s: %w", secretdata.KeyJWKSURI, err)
	}
	claims, err := issuedToTheSecretsClient(payload, secret)
	if err != nil {
		return "", err
	}
	if claims.Audience != clientID {
		return "", fmt.Errorf("the access token's aud %q is not the application %q", claims.Audience, clientID)
	}
	validFor := time.Until(time.Unix(claims.Expiry, 0)).Round(time.Minute)
	return fmt.Sprintf("token issued to AZURE_CLIENT_ID by OIDC_TOKEN_ENDPOINT, signed by a JWKS key, valid for %s", validFor), nil
}

// identity is the application a Secret signs in as, and the keys that name it in the Secret, for
// messages.
type identity struct {
	tenantID, clientID       string
	tenantIDKey, clientIDKey string
}

// genericIdentity is the application of a Secret in the Generic format.
func genericIdentity(secret map[string][]byte) identity {
	return identity{tenantID: string(secret[secretdata.KeyTenantID]), clientID: string(secret[secretdata.KeyClientID]),
		tenantIDKey: secretdata.KeyTenantID, clientIDKey: secretdata.KeyClientID}
}

// clientCredentialsToken gets an access token for scope with the Secret's client secret from the
// Secret's token endpoint.
func clientCredentialsToken(ctx context.Context, client *http.Client, secret map[string][]byte, scope string) (string, error) {
	cc := clientcredentials.Config{
		ClientID:     string(secret[secretdata.KeyClientID]),
		ClientSecret: string(secret[secretdata.KeyClientSecret]),
		TokenURL:     string(secret[secretdata.KeyTokenEndpoint]),
		Scopes:       []string{scope},
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	token, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, client))
	if err != nil {
		return "", fmt.Errorf("client credentials token from %s: %w", secretdata.KeyTokenEndpoint, err)
	}
	return token.AccessToken, nil
}

// issuedToTheSecretsClient decodes an access token's claims and checks that it was issued in the
// Secret's tenant to the Secret's client.
func issuedToTheSecretsClient(payload []byte, secret map[string][]byte) (accessTokenClaims, error) {
	return issuedTo(payload, genericIdentity(secret))
}

// issuedTo decodes an access token's claims and checks that it was issued in id's tenant to id's
// client.
func issuedTo(payload []byte, id identity) (accessTokenClaims, error) {
	var claims accessTokenClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return claims, fmt.Errorf("decoding the access token's claims: %w", err)
	}
	if claims.TenantID != id.tenantID {
		return claims, fmt.Errorf("the access token's tid %q is not %s %q", claims.TenantID, id.tenantIDKey, id.tenantID)
	}
	issued := claims.AuthorizedParty
	if issued == "" {
		issued = claims.AppID
	}
	if issued != id.clientID {
		return claims, fmt.Errorf("the access token was issued to %q, not %s %q", issued, id.clientIDKey, id.clientID)
	}
	return claims, nil
}

// unverifiedClaims reads the claims of an access token meant for a Microsoft API (Graph, Exchange
// Online), which in Entra are not verifiable by their clients, and checks that it was issued in
// id's tenant to id's client; the API checks the signature.
func unverifiedClaims(token string, id identity) (accessTokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return accessTokenClaims{}, errors.New("the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return accessTokenClaims{}, fmt.Errorf("decoding the access token: %w", err)
	}
	return issuedTo(payload, id)
}
