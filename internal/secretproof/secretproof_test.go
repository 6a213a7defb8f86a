package secretproof_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// fixture is an emulator tenant, a client that trusts only the emulator's CA, and a Secret rendered
// the way the operator renders it for the tenant's operator application (whose client secret the
// emulator knows, so the client-secret proof has a real credential to work with).
type fixture struct {
	client       *http.Client
	secret       map[string][]byte
	clientSecret string
	tenant       *emulator.Tenant
	// cloud is the public cloud with its hosts pointed at the emulator.
	cloud cloud.Cloud
}

func newFixture(t *testing.T) fixture {
	t.Helper()
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
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("the emulator's CA is not PEM")
	}
	secret, err := secretdata.Render(secretdata.Input{TenantID: tenant.ID(), ClientID: tenant.OperatorClientID(), Cloud: c})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{
		client:       &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
		secret:       secret,
		clientSecret: tenant.OperatorClientSecret(),
		tenant:       tenant,
		cloud:        c,
	}
}

// register adds a certificate to the operator application, as a keyCredential, and returns the
// Secret's data with it in the layout the operator writes.
func (f fixture) register(t *testing.T, keyType string) map[string][]byte {
	t.Helper()
	pair, err := certificate.Generate(keyType, 2048, "secretproof", time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := f.tenant.ApplicationByAppID(f.tenant.OperatorClientID())
	start, end := pair.Leaf.NotBefore, pair.Leaf.NotAfter
	kc := emulator.KeyCredential{KeyID: uuid.NewString(), Type: "AsymmetricX509Cert", Usage: "Verify", StartDateTime: &start, EndDateTime: &end}.WithCertificate(pair.Leaf)
	if err := f.tenant.UpdateApplication(app.ID, func(a *emulator.Application) { a.KeyCredentials = append(a.KeyCredentials, kc) }); err != nil {
		t.Fatal(err)
	}
	out := f.with(secretdata.KeyCombinedPEM, string(pair.CombinedPEM()))
	out[secretdata.KeyCertificateThumbprint] = []byte(pair.Thumbprint())
	return out
}

func (f fixture) with(key, value string) map[string][]byte {
	out := make(map[string][]byte, len(f.secret)+1)
	for k, v := range f.secret {
		out[k] = v
	}
	out[key] = []byte(value)
	return out
}

func resultOf(t *testing.T, results []secretproof.Result, prover string) secretproof.Result {
	t.Helper()
	for _, r := range results {
		if r.Prover == prover {
			return r
		}
	}
	t.Fatalf("no result for %q in %+v", prover, results)
	return secretproof.Result{}
}

const (
	discovery        = "OIDC discovery"
	clientSecret     = "client credentials with AZURE_CLIENT_SECRET"
	certificateProof = "client credentials with the certificate in tls-combined.pem"
)

func TestTodaysSecretProvesDiscoveryAndSkipsTheClientSecret(t *testing.T) {
	f := newFixture(t)
	results := secretproof.Run(context.Background(), f.client, f.secret, secretproof.Provers)
	if len(results) != len(secretproof.Provers) {
		t.Fatalf("got %d results for %d provers", len(results), len(secretproof.Provers))
	}
	d := resultOf(t, results, discovery)
	if !d.Passed() {
		t.Fatalf("discovery: %v (missing %v)", d.Err, d.Missing)
	}
	if !strings.Contains(d.Detail, "6 endpoints match") || !strings.Contains(d.Detail, "signing key") {
		t.Errorf("discovery detail %q does not say what was checked", d.Detail)
	}
	cs := resultOf(t, results, clientSecret)
	if cs.Applied() || cs.Passed() || len(cs.Missing) != 1 || cs.Missing[0] != secretdata.KeyClientSecret {
		t.Errorf("client secret proof on a Secret without a secret: applied=%v missing=%v", cs.Applied(), cs.Missing)
	}
}

func TestClientSecretProofGetsAVerifiedToken(t *testing.T) {
	f := newFixture(t)
	results := secretproof.Run(context.Background(), f.client, f.with(secretdata.KeyClientSecret, f.clientSecret), secretproof.Provers)
	for _, r := range results {
		if r.Prover != certificateProof && !r.Passed() {
			t.Errorf("%s: err=%v missing=%v", r.Prover, r.Err, r.Missing)
		}
		if strings.Contains(r.Detail, f.clientSecret) {
			t.Errorf("%s: the detail holds the client secret", r.Prover)
		}
	}
	if d := resultOf(t, results, clientSecret).Detail; !strings.Contains(d, "valid for") {
		t.Errorf("client secret detail %q does not say how long the token is valid", d)
	}
}

func TestClientSecretProofFailsOnAWrongSecret(t *testing.T) {
	f := newFixture(t)
	wrong := "not-" + f.clientSecret
	r := resultOf(t, secretproof.Run(context.Background(), f.client, f.with(secretdata.KeyClientSecret, wrong), secretproof.Provers), clientSecret)
	if r.Passed() || r.Err == nil {
		t.Fatal("a wrong client secret passed the proof")
	}
	if !strings.Contains(r.Err.Error(), "invalid_client") {
		t.Errorf("error %q does not carry Entra's invalid_client", r.Err)
	}
	if strings.Contains(r.Err.Error(), wrong) {
		t.Error("the error holds the client secret")
	}
}

func TestDiscoveryProofCatchesWhatACRMWouldTripOver(t *testing.T) {
	f := newFixture(t)
	tenantID := string(f.secret[secretdata.KeyTenantID])
	cases := []struct {
		name, key, value, wantErr string
	}{
		{"token endpoint of another tenant", secretdata.KeyTokenEndpoint,
			strings.Replace(string(f.secret[secretdata.KeyTokenEndpoint]), tenantID, "common", 1), "token_endpoint"},
		{"issuer with a trailing slash", secretdata.KeyIssuer, string(f.secret[secretdata.KeyIssuer]) + "/", "issuer"},
		{"discovery URL without the well-known path", secretdata.KeyDiscoveryURL,
			strings.TrimSuffix(string(f.secret[secretdata.KeyDiscoveryURL]), "/.well-known/openid-configuration"), "does not end in"},
		{"discovery URL of an unknown tenant", secretdata.KeyDiscoveryURL,
			strings.Replace(string(f.secret[secretdata.KeyDiscoveryURL]), tenantID, "00000000-0000-0000-0000-000000000001", 1), "discovery from"},
		{"logout URL of another host", secretdata.KeyEndSessionEndpoint, "https://login.example.com/logout", "end_session_endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := resultOf(t, secretproof.Run(context.Background(), f.client, f.with(tc.key, tc.value), secretproof.Provers), discovery)
			if r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", r.Err, tc.wantErr)
			}
		})
	}
}

func TestDiscoveryProofTrustsOnlyTheGivenClient(t *testing.T) {
	f := newFixture(t)
	// The system roots do not include the emulator's CA: the proof must not fall back to skipping
	// verification or to another client.
	r := resultOf(t, secretproof.Run(context.Background(), &http.Client{}, f.secret, secretproof.Provers), discovery)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate verification error", r.Err)
	}
}

func TestAProverRunsOnlyWithEveryKeyItNeeds(t *testing.T) {
	ran := 0
	p := secretproof.Prover{Name: "needs a and b", Needs: []string{"a", "b"},
		Prove: func(context.Context, *http.Client, map[string][]byte) (string, error) { ran++; return "ok", nil }}
	cases := []struct {
		secret      map[string][]byte
		wantMissing []string
	}{
		{map[string][]byte{"a": []byte("1"), "b": []byte("2")}, nil},
		{map[string][]byte{"a": []byte("1")}, []string{"b"}},
		{map[string][]byte{"a": []byte("1"), "b": {}}, []string{"b"}},
		{nil, []string{"a", "b"}},
	}
	for _, tc := range cases {
		r := secretproof.Run(context.Background(), nil, tc.secret, []secretproof.Prover{p})[0]
		if strings.Join(r.Missing, ",") != strings.Join(tc.wantMissing, ",") {
			t.Errorf("secret %v: missing = %v, want %v", tc.secret, r.Missing, tc.wantMissing)
		}
	}
	if ran != 1 {
		t.Errorf("the proof ran %d times, want once (only when both keys are there)", ran)
	}
}

func TestGraphRolesProofComparesTheTokensRolesWithTheConsent(t *testing.T) {
	f := newFixture(t)
	secret := f.with(secretdata.KeyClientSecret, f.clientSecret)
	// The fixture's client is the emulator's operator application, consented these three roles.
	held := []string{"DelegatedPermissionGrant.ReadWrite.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}
	cases := []struct {
		name    string
		want    []string
		wantErr string
	}{
		{"exactly the consented roles, in any order", held, ""},
		{"a consented role missing from the token", append(slices.Clone(held), "User.Read.All"), "want the consented"},
		{"a role in the token that was not consented", held[:2], "carries roles [AppRoleAssignment.ReadWrite.All Application.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := secretproof.GraphRoles(c.want)
			r := secretproof.Run(context.Background(), f.client, secret, []secretproof.Prover{p})[0]
			switch {
			case c.wantErr == "" && !r.Passed():
				t.Fatalf("proof failed: %v (missing %v)", r.Err, r.Missing)
			case c.wantErr == "" && !strings.Contains(r.Detail, "AppRoleAssignment.ReadWrite.All"):
				t.Errorf("detail %q does not name the roles", r.Detail)
			case c.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), c.wantErr)):
				t.Errorf("err = %v, want one containing %q", r.Err, c.wantErr)
			}
			if r.Err != nil && strings.Contains(r.Err.Error(), f.clientSecret) {
				t.Error("the error holds the client secret")
			}
		})
	}
	if r := secretproof.Run(context.Background(), f.client, f.secret, []secretproof.Prover{secretproof.GraphRoles(held)})[0]; r.Applied() {
		t.Error("the roles proof ran on a Secret without AZURE_CLIENT_SECRET")
	}
}

// The certificate proof signs in the way a workload with AZURE_CLIENT_CERTIFICATE_PATH does (RSA,
// through azidentity) or with its own ES256 assertion (ECDSA), and checks the token.
func TestCertificateProofGetsAVerifiedToken(t *testing.T) {
	f := newFixture(t)
	for _, keyType := range []string{certificate.KeyTypeRSA, certificate.KeyTypeECDSA} {
		t.Run(keyType, func(t *testing.T) {
			r := resultOf(t, secretproof.Run(context.Background(), f.client, f.register(t, keyType), secretproof.Provers), certificateProof)
			if !r.Passed() {
				t.Fatalf("err=%v missing=%v", r.Err, r.Missing)
			}
			if !strings.Contains(r.Detail, "signed by a JWKS key") {
				t.Errorf("detail %q does not say the token was verified", r.Detail)
			}
		})
	}
}

func TestCertificateProofFailsForWhatCannotSignIn(t *testing.T) {
	f := newFixture(t)
	stranger, err := certificate.Generate(certificate.KeyTypeRSA, 2048, "stranger", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	unregistered := f.with(secretdata.KeyCombinedPEM, string(stranger.CombinedPEM()))
	r := resultOf(t, secretproof.Run(context.Background(), f.client, unregistered, secretproof.Provers), certificateProof)
	if r.Passed() || r.Err == nil || !strings.Contains(r.Err.Error(), "invalid_client") {
		t.Errorf("an unregistered certificate: %v", r.Err)
	}
	mismatched := f.register(t, certificate.KeyTypeECDSA)
	mismatched[secretdata.KeyCertificateThumbprint] = []byte(stranger.Thumbprint())
	r = resultOf(t, secretproof.Run(context.Background(), f.client, mismatched, secretproof.Provers), certificateProof)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "thumbprint") {
		t.Errorf("a thumbprint that is not the certificate's: %v", r.Err)
	}
}
