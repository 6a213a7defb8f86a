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
	var token string
	if _, ecdsaKey := pair.Key.Public().(*ecdsa.PublicKey); ecdsaKey {
		token, err = ownAssertionToken(ctx, client, secret, pair)
	} else {
		token, err = azidentityToken(ctx, client, secret)
	}
	if err != nil {
		return "", err
	}
	detail, err := verifyAppToken(ctx, client, secret, token)
	if err != nil {
		return "", err
	}
	return "certificate " + pair.Thumbprint() + ": " + detail, nil
}

// azidentityToken gets a token as azidentity's ClientCertificateCredential does from the file
// AZURE_CLIENT_CERTIFICATE_PATH names, at the Secret's authority host.
func azidentityToken(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
	certs, key, err := azidentity.ParseCertificates(secret[secretdata.KeyCombinedPEM], nil)
	if err != nil {
		return "", fmt.Errorf("azidentity cannot read %s: %w", secretdata.KeyCombinedPEM, err)
	}
	clientID := string(secret[secretdata.KeyClientID])
	cred, err := azidentity.NewClientCertificateCredential(string(secret[secretdata.KeyTenantID]), clientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     azcloud.Configuration{ActiveDirectoryAuthorityHost: string(secret[secretdata.KeyAuthorityHost])},
				Transport: client,
				Retry:     policy.RetryOptions{MaxRetries: -1},
			},
			// The authority is the Secret's own; asking login.microsoftonline.com about it adds nothing.
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		return "", fmt.Errorf("azidentity certificate credential: %w", err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{clientID + "/.default"}})
	if err != nil {
		return "", fmt.Errorf("azidentity certificate token: %w", err)
	}
	return tok.Token, nil
}

// ownAssertionToken posts a client assertion signed with the certificate's key to the token endpoint.
func ownAssertionToken(ctx context.Context, client *http.Client, secret map[string][]byte, pair certificate.Pair) (string, error) {
	clientID, tokenURL := string(secret[secretdata.KeyClientID]), string(secret[secretdata.KeyTokenEndpoint])
	assertion, err := pair.ClientAssertion(clientID, tokenURL, time.Now())
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {clientID + "/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("client assertion token from %s: %w", secretdata.KeyTokenEndpoint, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the token response: %w", err)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || res.StatusCode != http.StatusOK || answer.AccessToken == "" {
		return "", fmt.Errorf("client assertion token from %s: HTTP %d %s", secretdata.KeyTokenEndpoint, res.StatusCode, answer.Error)
	}
	return answer.AccessToken, nil
}
