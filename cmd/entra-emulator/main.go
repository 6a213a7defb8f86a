// Command entra-emulator serves the Entra ID emulator (Microsoft Graph v1.0
// and the identity platform) over HTTPS on loopback, for local demos and
// for CI that cannot reach Microsoft. It writes the CA certificate clients
// must trust and the tenants' operator credentials to files, and prints the
// endpoints (never a secret unless --print-secrets).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// config is the parsed command line.
type config struct {
	addr                 string
	tenants              int
	tenantIDs            stringList
	caFile               string
	credentialsFile      string
	latency              time.Duration
	replicationLag       time.Duration
	throttle             bool
	errorRate            float64
	concurrencyConflicts bool
	deltaTokenLifetime   time.Duration
	logLevel             string
	printSecrets         bool
	hosts                stringList
	policyFile           string
}

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if p := strings.TrimSpace(part); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

func newFlagSet(cfg *config, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("entra-emulator", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8443", "listen address (host:port); the emulator serves HTTPS only")
	fs.IntVar(&cfg.tenants, "tenants", 1, "number of tenants to seed (at least the number of --tenant-id values)")
	fs.Var(&cfg.tenantIDs, "tenant-id", "fixed tenant ID (GUID); repeat the flag or give a comma-separated list")
	fs.StringVar(&cfg.caFile, "ca-file", "", "write the CA certificate (PEM) that clients must trust to this file")
	fs.StringVar(&cfg.credentialsFile, "credentials-file", "", "write tenant IDs, operator client IDs and secrets, authority host and Graph URL to this file (mode 0600); .env or .sh suffix writes KEY=value lines, anything else JSON")
	fs.DurationVar(&cfg.latency, "latency", 0, "delay added to every request, e.g. 50ms")
	fs.DurationVar(&cfg.replicationLag, "replication-lag", 0, "how long new objects stay invisible to reads (and service principal creation fails with NoBackingApplicationObject), e.g. 5s")
	fs.BoolVar(&cfg.throttle, "throttle", false, "enable Graph's write limits: 3,000 writes per 150 s per app+tenant, 18,000 per 5 min per tenant (429 with Retry-After)")
	fs.Float64Var(&cfg.errorRate, "error-rate", 0, "fraction (0..1) of Graph requests answered 503 with Retry-After")
	fs.BoolVar(&cfg.concurrencyConflicts, "concurrency-conflicts", false, "answer overlapping writes to one application with 409 Directory_ConcurrencyViolation")
	fs.DurationVar(&cfg.deltaTokenLifetime, "delta-token-lifetime", 0, "how long delta query tokens stay valid before answering 400 syncStateNotFound; 0 is Graph's 7 days")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug (one line per request), info, warn or error")
	fs.BoolVar(&cfg.printSecrets, "print-secrets", false, "also print the operator client secrets on stdout (they are always in --credentials-file)")
	fs.Var(&cfg.hosts, "host", "extra DNS name or IP for the serving certificate; repeatable (127.0.0.1, ::1 and localhost are always included)")
	fs.StringVar(&cfg.policyFile, "default-app-management-policy", "", "JSON file with every tenant's default app management policy, as the body of PATCH /policies/defaultAppManagementPolicy "+
		`(e.g. {"isEnabled":true,"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime","maxLifetime":"P90D"}]}}); `+
		"client secrets and certificates it forbids are refused as Entra refuses them")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: entra-emulator [flags]\n\n"+
			"Serves an Entra ID emulator (Microsoft Graph v1.0 under /v1.0, identity platform under /{tenant}/)\n"+
			"over HTTPS with a freshly generated CA. Point azidentity's authority host and msgraph-sdk-go's base\n"+
			"URL at the printed endpoints and trust the CA written by --ca-file.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "entra-emulator:", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled (SIGINT/SIGTERM in main), then shuts
// down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.errorRate < 0 || cfg.errorRate > 1 {
		return fmt.Errorf("--error-rate must be between 0 and 1, got %v", cfg.errorRate)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	var policy *emulator.TenantAppManagementPolicy
	if cfg.policyFile != "" {
		p, err := loadPolicy(cfg.policyFile)
		if err != nil {
			return fmt.Errorf("--default-app-management-policy: %w", err)
		}
		policy = &p
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	beh := emulator.Behaviour{
		Latency:               cfg.latency,
		ReplicationLag:        cfg.replicationLag,
		ServerErrorRate:       cfg.errorRate,
		ServerErrorRetryAfter: time.Second,
		ConcurrencyConflicts:  cfg.concurrencyConflicts,
		DeltaTokenLifetime:    cfg.deltaTokenLifetime,
	}
	if cfg.throttle {
		beh.Throttle = emulator.GraphThrottleLimits()
	}
	srv, err := emulator.Start(emulator.Options{
		Addr: cfg.addr, Tenants: cfg.tenants, TenantIDs: cfg.tenantIDs, Logger: logger, Behaviour: beh, Hosts: cfg.hosts,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			logger.Error("shutdown", "err", err)
		}
	}()
	if policy != nil {
		for _, t := range srv.Tenants() {
			if err := t.SetDefaultAppManagementPolicy(*policy); err != nil {
				return fmt.Errorf("--default-app-management-policy %s: %w", cfg.policyFile, err)
			}
		}
	}

	if cfg.caFile != "" {
		if err := writeFile(cfg.caFile, srv.CACertPEM(), 0o644); err != nil {
			return fmt.Errorf("write CA file: %w", err)
		}
	}
	if cfg.credentialsFile != "" {
		if err := writeCredentials(cfg.credentialsFile, srv); err != nil {
			return fmt.Errorf("write credentials file: %w", err)
		}
	}
	printSummary(stdout, srv, cfg)

	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}

// loadPolicy reads a default app management policy: Graph's tenantAppManagementPolicy JSON, as
// a PATCH of /policies/defaultAppManagementPolicy would carry it. Unknown properties are refused,
// as Graph refuses them; the emulator checks the rest when it applies it.
func loadPolicy(path string) (emulator.TenantAppManagementPolicy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return emulator.TenantAppManagementPolicy{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p emulator.TenantAppManagementPolicy
	if err := dec.Decode(&p); err != nil {
		return emulator.TenantAppManagementPolicy{}, fmt.Errorf("%s: %w", path, err)
	}
	if p.DisplayName == "" {
		p.DisplayName = "Default app management tenant policy"
	}
	return p, nil
}

// tenantCredentials is one tenant's entry in the credentials file.
type tenantCredentials struct {
	TenantID           string `json:"tenantId"`
	ClientID           string `json:"clientId"`
	ClientSecret       string `json:"clientSecret"`
	Issuer             string `json:"issuer"`
	TokenEndpoint      string `json:"tokenEndpoint"`
	DiscoveryURL       string `json:"discoveryUrl"`
	GraphServicePrinID string `json:"graphServicePrincipalId"`
}

type credentialsFile struct {
	AuthorityHost string              `json:"authorityHost"`
	GraphBaseURL  string              `json:"graphBaseUrl"`
	CAFile        string              `json:"caFile,omitempty"`
	Tenants       []tenantCredentials `json:"tenants"`
}

func collectCredentials(srv *emulator.Server) credentialsFile {
	out := credentialsFile{AuthorityHost: srv.AuthorityHost(), GraphBaseURL: srv.GraphBaseURL()}
	for _, t := range srv.Tenants() {
		ep := t.Endpoints()
		out.Tenants = append(out.Tenants, tenantCredentials{
			TenantID: t.ID(), ClientID: t.OperatorClientID(), ClientSecret: t.OperatorClientSecret(),
			Issuer: ep.Issuer, TokenEndpoint: ep.Token, DiscoveryURL: ep.Discovery, GraphServicePrinID: t.GraphServicePrincipalID(),
		})
	}
	return out
}

// writeCredentials writes JSON, or KEY=value lines for .env/.sh files: the
// first tenant as AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (what
// azidentity's environment credential reads), others with a _N suffix.
func writeCredentials(path string, srv *emulator.Server) error {
	creds := collectCredentials(srv)
	var data []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".env", ".sh":
		var b strings.Builder
		fmt.Fprintf(&b, "AZURE_AUTHORITY_HOST=%s\nGRAPH_BASE_URL=%s\n", creds.AuthorityHost, creds.GraphBaseURL)
		for i, t := range creds.Tenants {
			suffix := ""
			if i > 0 {
				suffix = fmt.Sprintf("_%d", i+1)
			}
			fmt.Fprintf(&b, "AZURE_TENANT_ID%s=%s\nAZURE_CLIENT_ID%s=%s\nAZURE_CLIENT_SECRET%s=%s\n",
				suffix, t.TenantID, suffix, t.ClientID, suffix, shellQuote(t.ClientSecret))
		}
		data = []byte(b.String())
	default:
		var err error
		if data, err = json.MarshalIndent(creds, "", "  "); err != nil {
			return fmt.Errorf("encode credentials: %w", err)
		}
		data = append(data, '\n')
	}
	return writeFile(path, data, 0o600)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeFile writes atomically (temp file + rename) with the given mode.
func writeFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".entra-emulator-*")
	if err != nil {
		return fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}

func printSummary(w io.Writer, srv *emulator.Server, cfg config) {
	fmt.Fprintf(w, "Entra emulator listening on %s\n", srv.URL())
	fmt.Fprintf(w, "  authority host: %s\n", srv.AuthorityHost())
	fmt.Fprintf(w, "  Graph base URL: %s\n", srv.GraphBaseURL())
	fmt.Fprintf(w, "  counters:       %s/_emulator/counters\n", srv.URL())
	if cfg.caFile != "" {
		fmt.Fprintf(w, "  CA certificate: %s\n", cfg.caFile)
	}
	if cfg.credentialsFile != "" {
		fmt.Fprintf(w, "  credentials:    %s\n", cfg.credentialsFile)
	}
	if cfg.policyFile != "" {
		fmt.Fprintf(w, "  app management policy: %s\n", cfg.policyFile)
	}
	for _, t := range srv.Tenants() {
		fmt.Fprintf(w, "tenant %s\n", t.ID())
		fmt.Fprintf(w, "  discovery:          %s\n", t.Endpoints().Discovery)
		fmt.Fprintf(w, "  operator client ID: %s\n", t.OperatorClientID())
		if cfg.printSecrets {
			fmt.Fprintf(w, "  operator secret:    %s\n", t.OperatorClientSecret())
		}
		for _, u := range t.Users() {
			fmt.Fprintf(w, "  test user:          %s\n", u.UserPrincipalName)
		}
	}
}
