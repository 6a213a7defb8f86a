package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/demo"
)

func TestFlagsDefaultToTheDocumentedPortsAndOverrideThem(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Ports != demo.DefaultPorts || cfg.OneShot || cfg.TenantID != demo.DefaultTenantID || cfg.Kubeconfig != "bin/demo.kubeconfig" {
		t.Errorf("defaults = %+v", cfg)
	}
	cfg, err = parseFlags([]string{"--oneshot", "--apiserver-port=1", "--etcd-port=2", "--etcd-peer-port=3",
		"--emulator-port=4", "--manager-probe-port=5", "--ready-timeout=10m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := demo.Ports{APIServer: 1, Etcd: 2, EtcdPeer: 3, Emulator: 4, ManagerProbe: 5}
	if !cfg.OneShot || cfg.Ports != want || cfg.ReadyTimeout != 10*time.Minute {
		t.Errorf("overridden = %+v", cfg)
	}
}

func TestFlagsRejectStrayArguments(t *testing.T) {
	if _, err := parseFlags([]string{"config/samples"}, io.Discard); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("err = %v, want unexpected arguments", err)
	}
	if code := run(t.Context(), []string{"--no-such-flag"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("a bad flag exits %d, want 2", code)
	}
}
