package secretproof

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// certificateProver signs in as the application with the certificate in the Secret, the way a
// workload that mounts the Secret and sets AZURE_CLIENT_CERTIFICATE_PATH to tls-combined.pem does:
// azidentity reads the combined PEM and signs a client assertion with it. azidentity (MSAL) signs
// only with RSA keys; for an ECDSA certificate the prover signs an ES256 assertion itself, as a
// client that does its own signing would. Either way the token is checked like the client
// secret's.
var certificateProver = Prover{
	Name: "client credentials with the certificate in tls-combined.pem",
	Needs: []string{
		secretdata.KeyTenantID, secretdata.KeyClientID, secretdata.KeyCombinedPEM, secretdata.KeyAuthorityHost,
		secretdata.KeyTokenEndpoint, secretdata.KeyJWKSURI,
	},
	Prove: proveCertificate,
}

func proveCertificate(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
	combined := secret[secretdata.KeyCombinedPEM]
	pair, err := certificate.Parse(combined, combined)
	if err != nil {
		return "", fmt.Errorf("%s: %w", secretdata.KeyCombinedPEM, err)
	}
	if got, want := string(secret[secretdata.KeyCertificateThumbprint]), pair.Thumbprint(); got != "" && got != want {
		return "", fmt.Errorf("%s %s is not the thumbprint %s of the certificate in %s", secretdata.KeyCertificateThumbprint, got, want, secretdata.KeyCombinedPEM)
	}
	id := genericIdentity(secret)
	token, err := certificateToken(ctx, client, id, string(secret[secretdata.KeyAuthorityHost]), string(secret[secretdata.KeyTokenEndpoint]),
		combined, pair, id.clientID+"/.default")
	if err != nil {
		return "", err
	}
	detail, err := verifyAppToken(ctx, client, secret, token)
	if err != nil {
		return "", err
	}
	return "certificate " + pair.Thumbprint() + ": " + detail, nil
}

// certificateToken gets a client-credentials token for scope with the certificate: through
// azidentity's ClientCertificateCredential at authorityHost, reading pemFile (the key and the
// certificate) as a workload with AZURE_CLIENT_CERTIFICATE_PATH does, or, for an ECDSA key, which
// azidentity (MSAL) cannot sign with, with an ES256 client assertion posted to tokenURL, as a
// client that signs its own does.
func certificateToken(ctx context.Context, client *http.Client, id identity, authorityHost, tokenURL string, pemFile []byte, pair certificate.Pair, scope string) (string, error) {
	if _, ecdsaKey := pair.Key.Public().(*ecdsa.PublicKey); ecdsaKey {
		return ownAssertionToken(ctx, client, id, tokenURL, pair, scope)
	}
	return azidentityToken(ctx, client, id, authorityHost, pemFile, scope)
}

// azidentityToken gets a token as azidentity's ClientCertificateCredential does.
func azidentityToken(ctx context.Context, client *http.Client, id identity, authorityHost string, pemFile []byte, scope string) (string, error) {
	certs, key, err := azidentity.ParseCertificates(pemFile, nil)
	if err != nil {
		return "", fmt.Errorf("azidentity cannot read the certificate: %w", err)
	}
	cred, err := azidentity.NewClientCertificateCredential(id.tenantID, id.clientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     azcloud.Configuration{ActiveDirectoryAuthorityHost: authorityHost},
				Transport: client,
				Retry:     policy.RetryOptions{MaxRetries: -1},
			},
			// The authority is the Secret's own; asking login.microsoftonline.com about it adds nothing.
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		return "", fmt.Errorf("azidentity certificate credential: %w", err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", fmt.Errorf("azidentity certificate token: %w", err)
	}
	return tok.Token, nil
}

// ownAssertionToken posts a client assertion signed with the certificate's key to the token endpoint.
func ownAssertionToken(ctx context.Context, client *http.Client, id identity, tokenURL string, pair certificate.Pair, scope string) (string, error) {
	assertion, err := pair.ClientAssertion(id.clientID, tokenURL, time.Now())
	if err != nil {
		return "", err
	}
	answer, err := postToken(ctx, client, tokenURL, url.Values{
		paramGrantType: {"client_credentials"}, paramClientID: {id.clientID}, paramScope: {scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
	})
	if err != nil {
		return "", fmt.Errorf("client assertion token: %w", err)
	}
	return answer.AccessToken, nil
}

// tokenAnswer is what the proofs read of a token endpoint's answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Error        string `json:"error"`
	// Description is Entra's error_description: its AADSTS code and why; it names no credential.
	Description string `json:"error_description"`
}

// postToken posts a form to a token endpoint, as every OAuth client does, and returns the answer
// when it holds an access token.
func postToken(ctx context.Context, client *http.Client, tokenURL string, form url.Values) (tokenAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("%s: %w", tokenURL, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("reading the token response: %w", err)
	}
	var answer tokenAnswer
	if err := json.Unmarshal(body, &answer); err != nil || res.StatusCode != http.StatusOK || answer.AccessToken == "" {
		return answer, fmt.Errorf("%s: HTTP %d %s %s", tokenURL, res.StatusCode, answer.Error, firstLine(answer.Description))
	}
	return answer, nil
}

// firstLine is the first line of Entra's error description (the rest is trace and correlation IDs).
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	line, _, _ = strings.Cut(line, "\n")
	return line
}
