package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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
		"throttle", "error-rate", "concurrency-conflicts", "log-level", "print-secrets"} {
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
