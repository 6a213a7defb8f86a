package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// emulatorStartTimeout bounds the wait for the emulator to write its credentials file.
const emulatorStartTimeout = 30 * time.Second

// emulatorCredentials is the JSON the emulator's --credentials-file flag writes (see
// cmd/entra-emulator): the authority and Graph URLs, and per tenant the operator's own application.
type emulatorCredentials struct {
	AuthorityHost string `json:"authorityHost"`
	GraphBaseURL  string `json:"graphBaseUrl"`
	Tenants       []struct {
		TenantID     string `json:"tenantId"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	} `json:"tenants"`
}

// emulator is the running bin/entra-emulator.
type emulator struct {
	*child
	caFile string
	creds  emulatorCredentials
}

// startEmulator runs the emulator binary on its fixed port with one tenant, and waits until it has
// written the CA certificate and the operator's credentials, which it does once it is listening.
func startEmulator(ctx context.Context, cfg Config, run *runDir, env []string) (*emulator, error) {
	caFile, credsFile := run.file("emulator-ca.pem"), run.file("emulator-credentials.json")
	c, err := startChild(ctx, "Entra emulator", run.file("emulator.log"), cfg.Emulator, append([]string{
		"--addr", hostPort(cfg.Ports.Emulator),
		"--tenant-id", cfg.TenantID,
		"--ca-file", caFile,
		"--credentials-file", credsFile,
	}, cfg.EmulatorArgs...), env)
	if err != nil {
		return nil, err
	}
	e := &emulator{child: c, caFile: caFile}
	err = poll(ctx, emulatorStartTimeout, c, func() (bool, error) {
		data, err := os.ReadFile(credsFile)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		// The emulator writes the file by rename, so it is complete once it exists.
		return true, json.Unmarshal(data, &e.creds)
	})
	if err == nil && len(e.creds.Tenants) != 1 {
		err = fmt.Errorf("the credentials file lists %d tenants, want 1", len(e.creds.Tenants))
	}
	if err != nil {
		return e, fmt.Errorf("waiting for the Entra emulator on port %s: %w\n%s", strconv.Itoa(cfg.Ports.Emulator), err, indent(c.logTail(20), "    "))
	}
	return e, nil
}

// poll calls ready every 100 ms until it reports true or fails, ctx ends, timeout passes or the child
// it waits on exits.
func poll(ctx context.Context, timeout time.Duration, c *child, ready func() (bool, error)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := ready()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return c.exitError()
		case <-deadline.C:
			return fmt.Errorf("not ready after %s", timeout)
		case <-tick.C:
		}
	}
}
