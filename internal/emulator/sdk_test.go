package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	kauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

const graphDefaultScope = "https://graph.microsoft.com/.default"

// startServer starts an emulator for one test and closes it afterwards.
func startServer(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return srv
}

// clientOptions points azidentity at the emulator, the way a user would
// point it at a sovereign cloud.
func clientOptions(srv *emulator.Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
		Transport: srv.HTTPClient(),
		// Keep token endpoint retries short: the tests assert on refusals.
		Retry: policy.RetryOptions{MaxRetries: -1},
	}
}

func secretCredential(t *testing.T, srv *emulator.Server, tenantID, clientID, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: clientOptions(srv), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("new client secret credential: %v", err)
	}
	return cred
}

// operatorCredential is the seeded operator app's secret credential.
func operatorCredential(t *testing.T, srv *emulator.Server) (*emulator.Tenant, *azidentity.ClientSecretCredential) {
	t.Helper()
	tenant := srv.Tenants()[0]
	return tenant, secretCredential(t, srv, tenant.ID(), tenant.OperatorClientID(), tenant.OperatorClientSecret())
}

// graphClient builds msgraph-sdk-go as the operator does (internal/graph): the
// default Graph middleware (retry, redirects, telemetry) without request
// compression, over a transport that trusts the emulator CA. Compression is
// left out because kiota-http-go resends a retried body uncompressed under a
// gzip header (microsoft/kiota-http-go#183), which the emulator, like Graph,
// refuses; TestGzipRequestBody covers compressed bodies directly.
func graphClient(t *testing.T, srv *emulator.Server, cred azcore.TokenCredential) *msgraphsdk.GraphServiceClient {
	t.Helper()
	auth, err := kauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphDefaultScope}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatalf("auth provider: %v", err)
	}
	var mw []khttp.Middleware
	for _, m := range msgraphgocore.GetDefaultMiddlewaresWithOptions(&msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0"}) {
		if _, compresses := m.(*khttp.CompressionHandler); !compresses {
			mw = append(mw, m)
		}
	}
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(srv.HTTPClient().Transport, mw...),
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatalf("graph adapter: %v", err)
	}
	adapter.SetBaseUrl(srv.GraphBaseURL())
	return msgraphsdk.NewGraphServiceClient(adapter)
}

// odataError asserts err is an ODataError with the given status and code.
func odataError(t *testing.T, err error, status int, code string) *odataerrors.ODataError {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("want ODataError %d %s, got %T: %v", status, code, err, err)
	}
	got := ""
	if oe.GetErrorEscaped() != nil && oe.GetErrorEscaped().GetCode() != nil {
		got = *oe.GetErrorEscaped().GetCode()
	}
	if oe.ResponseStatusCode != status || got != code {
		msg := ""
		if oe.GetErrorEscaped() != nil && oe.GetErrorEscaped().GetMessage() != nil {
			msg = *oe.GetErrorEscaped().GetMessage()
		}
		t.Fatalf("want ODataError %d %s, got %d %s (%s)", status, code, oe.ResponseStatusCode, got, msg)
	}
	return oe
}

// assertODataError asserts err is an ODataError with the given status and
// code, for callers that do not inspect the error further.
func assertODataError(t *testing.T, err error, status int, code string) {
	t.Helper()
	_ = odataError(t, err, status, code) // odataError fails the test itself; the error value is not needed here
}

// tokenResponse is the token endpoint's answer, success or error.
type tokenResponse struct {
	Status       int
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
	ErrorCodes   []int  `json:"error_codes"`
}

// postToken calls the token endpoint directly, for asserting refusals.
func postToken(t *testing.T, srv *emulator.Server, tenantID string, form url.Values) tokenResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, srv.URL()+"/"+tenantID+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("new token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("post token: %v", err)
	}
	defer resp.Body.Close()
	var out tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode token response: %v", err)
	}
	out.Status = resp.StatusCode
	return out
}

// clientSecretToken requests a Graph token with a client secret.
func clientSecretToken(t *testing.T, srv *emulator.Server, tenantID, clientID, secret string) tokenResponse {
	t.Helper()
	return postToken(t, srv, tenantID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {graphDefaultScope},
	})
}

// claimsOf decodes a JWT payload without verifying it (the emulator's
// signature is verified in the OIDC tests with go-oidc).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := decodeSegment(parts[1])
	if err != nil {
		t.Fatalf("decode JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("parse JWT payload: %v", err)
	}
	return m
}

// accessToken gets a Graph token from a credential.
func accessToken(t *testing.T, cred azcore.TokenCredential) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphDefaultScope}})
	if err != nil {
		t.Fatalf("get token: %v", err)
	}
	return tok.Token
}

// selfSignedCert makes an RSA certificate like the operator generates.
func selfSignedCert(t *testing.T, validFor time.Duration) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "emulator test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// fakeClock is a settable clock for Options.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func ptr[T any](v T) *T { return &v }

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
