package msgraph_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph/msgraph"
)

// TestCredentialFromEnvironment proves each way the operator can be given its identity — a client
// secret, a certificate, a workload identity token file — reaches Microsoft Graph (the emulator over
// HTTPS), and that a wrong secret ends as an authentication error, not as something to retry blindly.
func TestCredentialFromEnvironment(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	tenant := srv.Tenants()[0]
	c, err := cloud.Public.WithOverrides(srv.AuthorityHost(), srv.GraphBaseURL())
	if err != nil {
		t.Fatal(err)
	}
	operatorApp, ok := tenant.ApplicationByAppID(tenant.OperatorClientID())
	if !ok {
		t.Fatal("the emulator has no operator application")
	}
	dir := t.TempDir()

	// A certificate the operator may sign in with, uploaded the way an admin would, through Graph.
	certPath := filepath.Join(dir, "operator.pem")
	certDER := writeCertificate(t, certPath)
	uploadKeyCredential(t, srv, tenant, operatorApp.ID, certDER)

	// A Kubernetes service account issuer the application trusts (workload identity federation).
	issuerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const issuer, subject = "https://oidc.cluster.example.com", "system:serviceaccount:entra-sso-operator-system:controller-manager"
	srv.TrustIssuer(issuer, &issuerKey.PublicKey)
	if err := tenant.UpdateApplication(operatorApp.ID, func(a *emulator.Application) {
		a.FederatedIdentityCredentials = append(a.FederatedIdentityCredentials, emulator.FederatedIdentityCredential{
			ID: "fic-1", Name: "cluster", Issuer: issuer, Subject: subject, Audiences: []string{"api://AzureADTokenExchange"},
		})
	}); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "azure-identity-token")
	writeServiceAccountToken(t, tokenFile, issuerKey, issuer, subject)

	// Negative controls: a certificate Entra was never given, and a token signed by another key.
	strangerCert := filepath.Join(dir, "stranger.pem")
	writeCertificate(t, strangerCert)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forgedToken := filepath.Join(dir, "forged-token")
	writeServiceAccountToken(t, forgedToken, otherKey, issuer, subject)

	cases := []struct {
		name     string
		env      map[string]string
		wantKind graph.Kind // KindUnknown: the read succeeds
	}{
		{"client secret", map[string]string{"AZURE_CLIENT_SECRET": tenant.OperatorClientSecret()}, graph.KindUnknown},
		{"certificate", map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": certPath}, graph.KindUnknown},
		{"workload identity", map[string]string{"AZURE_FEDERATED_TOKEN_FILE": tokenFile}, graph.KindUnknown},
		{"wrong secret", map[string]string{"AZURE_CLIENT_SECRET": "not-the-secret"}, graph.KindAuthentication},
		{"unregistered certificate", map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": strangerCert}, graph.KindAuthentication},
		{"forged service account token", map[string]string{"AZURE_FEDERATED_TOKEN_FILE": forgedToken}, graph.KindAuthentication},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AZURE_TENANT_ID", tenant.ID())
			t.Setenv("AZURE_CLIENT_ID", tenant.OperatorClientID())
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			transport, err := msgraph.NewTransport(srv.CACertPEM())
			if err != nil {
				t.Fatal(err)
			}
			cred, tenantID, err := msgraph.NewCredentialFromEnvironment(c, transport, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tenantID != tenant.ID() {
				t.Errorf("tenant %q, want %q", tenantID, tenant.ID())
			}
			gc, err := msgraph.New(msgraph.Options{Cloud: c, TenantID: tenantID, Credential: cred, Transport: transport})
			if err != nil {
				t.Fatal(err)
			}
			sp, err := gc.GetServicePrincipal(context.Background(), emulator.MicrosoftGraphAppID)
			if tc.wantKind == graph.KindUnknown {
				if err != nil || sp.ObjectID != tenant.GraphServicePrincipalID() {
					t.Fatalf("reading the Microsoft Graph service principal: %+v, %v", sp, err)
				}
				return
			}
			if kind := graph.KindOf(err); kind != tc.wantKind {
				t.Fatalf("error %v has kind %v, want %v", err, kind, tc.wantKind)
			}
			if bytes.Contains([]byte(err.Error()), []byte("not-the-secret")) {
				t.Error("the error message repeats the secret")
			}
			checkSummaryForUsers(t, err, tenant.OperatorClientID())
		})
	}

	t.Run("no tenant", func(t *testing.T) {
		t.Setenv("AZURE_TENANT_ID", "")
		if _, _, err := msgraph.NewCredentialFromEnvironment(c, nil, 0); err == nil {
			t.Error("a credential without AZURE_TENANT_ID was accepted")
		}
	})
}

// checkSummaryForUsers: what users see of an authentication failure in status and events is short
// and fixed — no client ID, no trace IDs — and says what to do.
func checkSummaryForUsers(t *testing.T, err error, clientID string) {
	t.Helper()
	var ge *graph.Error
	if !errors.As(err, &ge) {
		t.Fatalf("%v is not a *graph.Error", err)
	}
	summary := ge.Summary()
	if strings.Contains(summary, clientID) || strings.Contains(strings.ToLower(summary), "trace") || len(summary) > 400 {
		t.Errorf("the summary for users says too much (%d characters): %s", len(summary), summary)
	}
	if !strings.Contains(summary, "check the operator's credentials") {
		t.Errorf("the summary does not say what to do: %s", summary)
	}
}

func writeCertificate(t *testing.T, path string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "entra-sso-operator"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return der
}

// uploadKeyCredential adds a certificate to the application with a Graph PATCH, signed in with the
// operator's client secret.
func uploadKeyCredential(t *testing.T, srv *emulator.Server, tenant *emulator.Tenant, objectID string, certDER []byte) {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant.ID(), tenant.OperatorClientID(), tenant.OperatorClientSecret(),
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: azcloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}, Transport: srv.HTTPClient()},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"keyCredentials": []map[string]any{{
		"type": "AsymmetricX509Cert", "usage": "Verify", "displayName": "operator", "key": base64.StdEncoding.EncodeToString(certDER),
	}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, srv.GraphBaseURL()+"/applications/"+objectID, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("uploading the certificate: %s", res.Status)
	}
}

// writeServiceAccountToken writes a projected service account token as the kubelet would.
func writeServiceAccountToken(t *testing.T, path string, key *rsa.PrivateKey, issuer, subject string) {
	t.Helper()
	now := time.Now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "sub": subject, "aud": []string{"api://AzureADTokenExchange"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": fmt.Sprint(now.UnixNano()),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
}
