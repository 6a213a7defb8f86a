package secretproof

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// The provers below play one CRM each, from the keys of the Secret in that CRM's format. Their
// parameters are what the CRM knows without the Secret: its own redirect URI, and for the CRMs
// that derive their endpoints from the tenant ID (OroCRM, 3CX), the cloud's authority host.

// espoCRMScopes are what EspoCRM asks for: openid and its oidcScopes, which the EspoCRM format
// leaves at their default (profile, email, phone).
const espoCRMScopes = "openid profile email phone"

// EspoCRM signs a user in as EspoCRM does: the authorization code flow from the Secret's
// endpoints with its client ID and secret, then the ID token verified with coreos/go-oidc against
// the Secret's JWKS the way EspoCRM checks it (RS256, aud, sub, iss present, nonce), and the user
// named by the Secret's username claim. With a loginHint, that user signs in and the claim must
// name them.
func EspoCRM(redirectURI, loginHint string) Prover {
	return Prover{
		Name: "EspoCRM sign-in",
		Needs: []string{secretdata.EspoCRMClientID, secretdata.EspoCRMClientSecret, secretdata.EspoCRMAuthorizationEndpoint,
			secretdata.EspoCRMTokenEndpoint, secretdata.EspoCRMJWKSEndpoint, secretdata.EspoCRMUsernameClaim},
		Prove: func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
			id := identity{clientID: string(secret[secretdata.EspoCRMClientID]), clientIDKey: secretdata.EspoCRMClientID}
			answer, nonce, err := signIn{
				id: id, clientSecret: string(secret[secretdata.EspoCRMClientSecret]),
				authorizeURL: string(secret[secretdata.EspoCRMAuthorizationEndpoint]), tokenURL: string(secret[secretdata.EspoCRMTokenEndpoint]),
				redirectURI: redirectURI, scope: espoCRMScopes, loginHint: loginHint,
			}.run(ctx, client)
			if err != nil {
				return "", err
			}
			if answer.IDToken == "" {
				return "", fmt.Errorf("the token response holds no id_token")
			}
			ctx = oidc.ClientContext(ctx, client)
			keys := oidc.NewRemoteKeySet(ctx, string(secret[secretdata.EspoCRMJWKSEndpoint]))
			// EspoCRM has no issuer setting: it requires an iss, as checked below, not a given one.
			verifier := oidc.NewVerifier("", keys, &oidc.Config{ClientID: id.clientID, SkipIssuerCheck: true, SupportedSigningAlgs: []string{oidc.RS256}})
			idToken, err := verifier.Verify(ctx, answer.IDToken)
			if err != nil {
				return "", fmt.Errorf("the ID token does not verify with %s: %w", secretdata.EspoCRMJWKSEndpoint, err)
			}
			if idToken.Issuer == "" || idToken.Subject == "" || idToken.Nonce != nonce {
				return "", fmt.Errorf("the ID token lacks iss or sub, or carries another nonce than the request")
			}
			claims := map[string]any{}
			if err := idToken.Claims(&claims); err != nil {
				return "", fmt.Errorf("reading the ID token's claims: %w", err)
			}
			claim := string(secret[secretdata.EspoCRMUsernameClaim])
			username, _ := claims[claim].(string)
			if username == "" {
				return "", fmt.Errorf("the ID token has no %s claim, which %s names", claim, secretdata.EspoCRMUsernameClaim)
			}
			if loginHint != "" && !strings.EqualFold(username, loginHint) {
				return "", fmt.Errorf("the ID token's %s claim is %q, not the user who signed in (%s)", claim, username, loginHint)
			}
			return fmt.Sprintf("%s signed in with the authorization code flow; the ID token verifies with %s and its %s claim names the EspoCRM user",
				username, secretdata.EspoCRMJWKSEndpoint, claim), nil
		},
	}
}

// OroCRM connects a mailbox as Oro's Microsoft 365 integration does: the authorization code flow
// at the tenant's endpoints (Oro derives them from ORO_MICROSOFT_TENANT and the cloud's authority
// host) with the client ID and secret, asking for ORO_MICROSOFT_MAIL_SCOPES. The token must carry
// every mail permission those scopes name, and a refresh token must come with offline_access.
// redirectURI, the one Oro shows, must be among ORO_MICROSOFT_REDIRECT_URIS.
func OroCRM(authorityHost, redirectURI string) Prover {
	return Prover{
		Name: "OroCRM mailbox sign-in",
		Needs: []string{secretdata.OroCRMClientID, secretdata.OroCRMClientSecret, secretdata.OroCRMTenant,
			secretdata.OroCRMMailScopes, secretdata.OroCRMRedirectURIs},
		Prove: func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
			if !slices.Contains(strings.Fields(string(secret[secretdata.OroCRMRedirectURIs])), redirectURI) {
				return "", fmt.Errorf("the redirect URI Oro shows, %s, is not among %s", redirectURI, secretdata.OroCRMRedirectURIs)
			}
			id := identity{tenantID: string(secret[secretdata.OroCRMTenant]), clientID: string(secret[secretdata.OroCRMClientID]),
				tenantIDKey: secretdata.OroCRMTenant, clientIDKey: secretdata.OroCRMClientID}
			authority := strings.TrimSuffix(authorityHost, "/") + "/" + id.tenantID + "/oauth2/v2.0/"
			scope := string(secret[secretdata.OroCRMMailScopes])
			answer, _, err := signIn{
				id: id, clientSecret: string(secret[secretdata.OroCRMClientSecret]),
				authorizeURL: authority + "authorize", tokenURL: authority + "token", redirectURI: redirectURI, scope: scope,
			}.run(ctx, client)
			if err != nil {
				return "", err
			}
			claims, err := unverifiedClaims(answer.AccessToken, id)
			if err != nil {
				return "", err
			}
			granted, err := carriesScopes(claims, scope, secretdata.OroCRMMailScopes)
			if err != nil {
				return "", err
			}
			if slices.Contains(strings.Fields(scope), "offline_access") && answer.RefreshToken == "" {
				return "", fmt.Errorf("no refresh token, though %s asks for offline_access", secretdata.OroCRMMailScopes)
			}
			return fmt.Sprintf("%s connected a mailbox: the token carries %s, with a refresh token", claims.PreferredUsername, strings.Join(granted, " ")), nil
		},
	}
}

// carriesScopes checks that a delegated token carries every permission the scope parameter named
// (https://outlook.office.com/SMTP.Send names SMTP.Send; OpenID Connect scopes name none).
func carriesScopes(claims accessTokenClaims, scope, key string) ([]string, error) {
	scp := strings.Fields(claims.Scopes)
	var want []string
	for _, s := range strings.Fields(scope) {
		if i := strings.LastIndex(s, "/"); i >= 0 {
			want = append(want, s[i+1:])
		}
	}
	for _, w := range want {
		if !slices.Contains(scp, w) {
			return nil, fmt.Errorf("the token carries scp %q, without %s that %s asks for: is it consented?", claims.Scopes, w, key)
		}
	}
	return want, nil
}

// SMTP does what a CRM sending mail over SMTP XOAUTH2 does: the mailbox's owner signs in once with
// the authorization code flow at SMTP_OAUTH_AUTHORIZATION_ENDPOINT asking for SMTP_OAUTH_SCOPE
// (redirectURI is the CRM's /admin/smtp_oauth_microsoft/token), the CRM keeps the refresh token
// and, for each mail, redeems it at SMTP_OAUTH_TOKEN_ENDPOINT for an access token that must carry
// SMTP.Send, the one AUTH XOAUTH2 at SMTP_HOST needs.
func SMTP(redirectURI string) Prover {
	return Prover{
		Name: "SMTP XOAUTH2 token",
		Needs: []string{secretdata.SMTPHost, secretdata.SMTPPort, secretdata.SMTPTenantID, secretdata.SMTPClientID, secretdata.SMTPClientSecret,
			secretdata.SMTPAuthorizationEndpoint, secretdata.SMTPTokenEndpoint, secretdata.SMTPScope},
		Prove: func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
			id := identity{tenantID: string(secret[secretdata.SMTPTenantID]), clientID: string(secret[secretdata.SMTPClientID]),
				tenantIDKey: secretdata.SMTPTenantID, clientIDKey: secretdata.SMTPClientID}
			clientSecret, tokenURL, scope := string(secret[secretdata.SMTPClientSecret]), string(secret[secretdata.SMTPTokenEndpoint]), string(secret[secretdata.SMTPScope])
			first, _, err := signIn{
				id: id, clientSecret: clientSecret, authorizeURL: string(secret[secretdata.SMTPAuthorizationEndpoint]),
				tokenURL: tokenURL, redirectURI: redirectURI, scope: scope,
			}.run(ctx, client)
			if err != nil {
				return "", err
			}
			if first.RefreshToken == "" {
				return "", fmt.Errorf("the sign-in gave no refresh token: %s must ask for offline_access", secretdata.SMTPScope)
			}
			later, err := postToken(ctx, client, tokenURL, url.Values{
				paramGrantType: {"refresh_token"}, paramClientID: {id.clientID}, paramClientSecret: {clientSecret},
				"refresh_token": {first.RefreshToken}, paramScope: {scope},
			})
			if err != nil {
				return "", fmt.Errorf("redeeming the refresh token: %w", err)
			}
			claims, err := unverifiedClaims(later.AccessToken, id)
			if err != nil {
				return "", err
			}
			if _, err := carriesScopes(claims, scope, secretdata.SMTPScope); err != nil {
				return "", err
			}
			return fmt.Sprintf("the refresh token gives %s's token carrying SMTP.Send, for AUTH XOAUTH2 at %s:%s", claims.PreferredUsername,
				secret[secretdata.SMTPHost], secret[secretdata.SMTPPort]), nil
		},
	}
}

// ThreeCX signs in as 3CX's Microsoft 365 integration does: app-only, with the certificate
// (public_key.pem and private_key.pem, the pair 3CX would otherwise generate), at the tenant's
// token endpoint (3CX derives it from THREECX_M365_TENANT_ID and the cloud's authority host). The
// token for Microsoft Graph must carry exactly the consented application permissions wantRoles.
func ThreeCX(authorityHost string, wantRoles []string) Prover {
	return Prover{
		Name:  "3CX app-only sign-in with the certificate",
		Needs: []string{secretdata.ThreeCXClientID, secretdata.ThreeCXTenantID, secretdata.ThreeCXCertificate, secretdata.ThreeCXPrivateKey},
		Prove: func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
			pair, err := certificate.Parse(secret[secretdata.ThreeCXCertificate], secret[secretdata.ThreeCXPrivateKey])
			if err != nil {
				return "", fmt.Errorf("%s and %s: %w", secretdata.ThreeCXCertificate, secretdata.ThreeCXPrivateKey, err)
			}
			if got := string(secret[secretdata.ThreeCXCertificateThumbprint]); got != "" && got != pair.Thumbprint() {
				return "", fmt.Errorf("%s %s is not the thumbprint %s of %s", secretdata.ThreeCXCertificateThumbprint, got, pair.Thumbprint(), secretdata.ThreeCXCertificate)
			}
			id := identity{tenantID: string(secret[secretdata.ThreeCXTenantID]), clientID: string(secret[secretdata.ThreeCXClientID]),
				tenantIDKey: secretdata.ThreeCXTenantID, clientIDKey: secretdata.ThreeCXClientID}
			tokenURL := strings.TrimSuffix(authorityHost, "/") + "/" + id.tenantID + "/oauth2/v2.0/token"
			pemFile := slices.Concat(secret[secretdata.ThreeCXPrivateKey], secret[secretdata.ThreeCXCertificate])
			token, err := certificateToken(ctx, client, id, authorityHost, tokenURL, pemFile, pair, microsoftGraphAppID+"/.default")
			if err != nil {
				return "", err
			}
			claims, err := unverifiedClaims(token, id)
			if err != nil {
				return "", err
			}
			roles, err := exactRoles(claims, wantRoles)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("certificate %s: the token for Microsoft Graph carries exactly the consented roles %s", pair.Thumbprint(), roles), nil
		},
	}
}
