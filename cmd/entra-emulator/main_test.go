package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelpDocumentsEveryFlag: --help lists each flag with its usage text.
func TestHelpDocumentsEveryFlag(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--help"}, &bytes.Buffer{}, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	var cfg config
	fs := newFlagSet(&cfg, &bytes.Buffer{})
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(stderr.String(), "-"+f.Name) || f.Usage == "" {
			t.Errorf("flag --%s is not documented", f.Name)
		}
	})
	for _, name := range []string{"addr", "tenants", "tenant-id", "ca-file", "credentials-file", "latency", "replication-lag",
		"throttle", "error-rate", "concurrency-conflicts", "log-level", "print-secrets", "default-app-management-policy"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag --%s missing", name)
		}
	}
}

// TestRunWritesFilesAndStops: the binary writes the CA and a 0600
// credentials file, keeps the secret off stdout, and stops on cancel.
func TestRunWritesFilesAndStops(t *testing.T) {
	dir := t.TempDir()
	caFile, credFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "creds.json")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--tenants", "2", "--tenant-id", "11111111-2222-3333-4444-555555555555",
			"--ca-file", caFile, "--credentials-file", credFile, "--log-level", "warn"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(credFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("credentials file never written; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	info, err := os.Stat(credFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode: %v %v", info.Mode(), err)
	}
	var creds credentialsFile
	raw, _ := os.ReadFile(credFile)
	if err := json.Unmarshal(raw, &creds); err != nil || len(creds.Tenants) != 2 || creds.Tenants[0].TenantID != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("credentials: %+v %v", creds, err)
	}
	if ca, _ := os.ReadFile(caFile); !bytes.Contains(ca, []byte("BEGIN CERTIFICATE")) {
		t.Error("CA file is not PEM")
	}
	if strings.Contains(stdout.String(), creds.Tenants[0].ClientSecret) {
		t.Error("secret printed on stdout without --print-secrets")
	}
	if !strings.Contains(stdout.String(), creds.Tenants[0].ClientID) {
		t.Error("client ID not printed")
	}
}

// TestDefaultAppManagementPolicyFlag: the policy file is applied to every tenant and enforced on
// addPassword; a file Graph would refuse stops the emulator before it serves.
func TestDefaultAppManagementPolicyFlag(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"isEnabled":true,"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime","maxLifetime":"P30D"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	credFile, caFile := filepath.Join(dir, "creds.json"), filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--credentials-file", credFile, "--ca-file", caFile, "--log-level", "warn",
			"--default-app-management-policy", policy}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var creds credentialsFile
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if raw, err := os.ReadFile(credFile); err == nil && json.Unmarshal(raw, &creds) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("credentials file never written")
		}
	}
	client := httpClientTrusting(t, caFile)
	tenant := creds.Tenants[0]
	token := postForm(t, client, tenant.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}, "client_id": {tenant.ClientID},
		"client_secret": {tenant.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})["access_token"].(string)
	app := graphPost(t, client, token, creds.GraphBaseURL+"/applications", `{"displayName":"policy check"}`, http.StatusCreated)
	end := time.Now().Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339)
	refusal := graphPost(t, client, token, creds.GraphBaseURL+"/applications/"+app["id"].(string)+"/addPassword",
		`{"passwordCredential":{"endDateTime":"`+end+`"}}`, http.StatusBadRequest)
	if code := refusal["error"].(map[string]any)["code"]; code != "CredentialInvalidLifetimeAsPerAppPolicy" {
		t.Errorf("a 60-day secret under a 30-day policy: %v", refusal)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"isEnabled":true,"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--default-app-management-policy", bad}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "maxLifetime") {
		t.Errorf("a lifetime restriction without maxLifetime: %v", err)
	}
	if err := os.WriteFile(bad, []byte(`{"isEnabled":true,"unknown":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--default-app-management-policy", bad}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("a policy with an unknown property was accepted")
	}
}

func httpClientTrusting(t *testing.T, caFile string) *http.Client {
	t.Helper()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func postForm(t *testing.T, client *http.Client, target string, form url.Values) map[string]any {
	t.Helper()
	return do(t, client, http.MethodPost, target, "application/x-www-form-urlencoded", "", form.Encode(), http.StatusOK)
}

func graphPost(t *testing.T, client *http.Client, token, target, body string, want int) map[string]any {
	t.Helper()
	return do(t, client, http.MethodPost, target, "application/json", token, body, want)
}

func do(t *testing.T, client *http.Client, method, target, contentType, token, body string, want int) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != want {
		t.Fatalf("%s %s: %d (want %d) %v %v", method, target, res.StatusCode, want, out, err)
	}
	return out
}
