package demo

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// managerStartTimeout bounds the wait for the manager's readiness probe.
const managerStartTimeout = 60 * time.Second

// startManager runs bin/manager the way a user deploys it against an Entra-compatible endpoint: the
// authority and Graph overrides and the CA bundle as flags, the operator's identity in the AZURE_*
// variables azidentity reads, the cluster in KUBECONFIG. It waits for the manager's /readyz.
func startManager(ctx context.Context, cfg Config, run *runDir, emu *emulator, kubeconfig string, env []string) (*child, error) {
	tenant := emu.creds.Tenants[0]
	env = append(append(env, cfg.ManagerEnv...),
		"KUBECONFIG="+kubeconfig,
		"AZURE_TENANT_ID="+tenant.TenantID,
		"AZURE_CLIENT_ID="+tenant.ClientID,
		"AZURE_CLIENT_SECRET="+tenant.ClientSecret,
	)
	probeAddr := hostPort(cfg.Ports.ManagerProbe)
	// cfg.ManagerArgs first: the flags below point the manager at the local cluster and emulator and
	// win over the shipped ones they repeat (the last value of a flag counts).
	c, err := startChild(ctx, "manager", run.file("manager.log"), cfg.Manager, append(slices.Clone(cfg.ManagerArgs),
		"--authority-host="+emu.creds.AuthorityHost,
		"--graph-endpoint="+emu.creds.GraphBaseURL,
		"--ca-bundle="+emu.caFile,
		"--health-probe-bind-address="+probeAddr,
		// The demo reads no metrics; serving them would take one more port.
		"--metrics-bind-address=0",
		// Readable lines for the log tail printed when something fails.
		"--zap-encoder=console",
	), env)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	readyz := "http://" + probeAddr + "/readyz"
	err = poll(ctx, managerStartTimeout, c, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyz, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil // not listening yet
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return c, fmt.Errorf("waiting for the manager's %s: %w\n%s", readyz, err, indent(c.logTail(30), "    "))
	}
	return c, nil
}

// childEnv is the environment the demo's children start from: the demo's own, less what would point
// them elsewhere than the demo's cluster and emulator (the user's KUBECONFIG and Azure identity) and
// the control-plane shims' settings.
func childEnv() []string {
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if hasEnvKey(kv, "KUBECONFIG") || strings.HasPrefix(kv, "AZURE_") ||
			hasEnvKey(kv, shimTargetDirEnv) || hasEnvKey(kv, shimParentPIDEnv) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// hasEnvKey reports whether kv, a KEY=value pair, sets key.
func hasEnvKey(kv, key string) bool { return strings.HasPrefix(kv, key+"=") }
