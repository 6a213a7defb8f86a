// Package demo runs the operator's main job on one machine with nothing to set up: a local control
// plane (kube-apiserver and etcd), the Entra emulator and the operator's manager, each the real binary
// configured as a user would configure it; then it applies the samples with kubectl, waits for them
// to become Ready and proves each Secret works the way a CRM would use it.
//
// Every process it starts runs in its own process group and dies with the demo (a parent-death signal
// on Linux); on return, Run has stopped them all and removed every file it wrote.
package demo

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Ports are the loopback ports the demo listens on. They are fixed (not picked at random) so the
// kubeconfig and the URLs the demo prints stay the same from one run to the next.
type Ports struct {
	APIServer    int
	Etcd         int
	EtcdPeer     int
	Emulator     int
	ManagerProbe int
}

// DefaultPorts are the documented defaults, away from the well-known ports (6443, 2379, 8443, 8081)
// a real cluster or another tool on the machine is likely to hold.
var DefaultPorts = Ports{APIServer: 16443, Etcd: 12379, EtcdPeer: 12380, Emulator: 18443, ManagerProbe: 18081}

// DefaultTenantID is the emulator tenant the demo uses, fixed so the endpoints in the Secrets are
// predictable too.
const DefaultTenantID = "d3e0c0de-0000-4000-8000-00000000e1d0"

// Config is everything one demo run needs.
type Config struct {
	// AssetsDir holds kube-apiserver and etcd (what hack/envtest.sh prints).
	AssetsDir string
	// Kubectl, Manager and Emulator are the binaries to run.
	Kubectl  string
	Manager  string
	Emulator string
	// ConfigDir is the repository's kustomize tree: crd/, rbac/role.yaml and samples/ are applied from it.
	ConfigDir string
	// Kubeconfig is where the cluster admin's kubeconfig is written for the user; removed on exit.
	Kubeconfig string
	// TempRoot is where the run directory is made (logs, certificates, etcd data); "" means the
	// system's temporary directory.
	TempRoot string
	Ports    Ports
	TenantID string
	// ReadyTimeout bounds the wait for every sample to become Ready.
	ReadyTimeout time.Duration
	// OneShot returns after the summary instead of running until interrupted.
	OneShot bool
	// EmulatorArgs and ManagerArgs are more flags for the emulator and the manager (the benchmark's
	// faults, the Deployment's args); ManagerEnv more environment for the manager (GOMEMLIMIT).
	EmulatorArgs []string
	ManagerArgs  []string
	ManagerEnv   []string
}

// ports lists every port with what listens on it and how to change it, for the checks and messages.
func (c Config) ports() []namedPort {
	return []namedPort{
		{c.Ports.APIServer, kubeAPIServerBinary, "--apiserver-port / DEMO_APISERVER_PORT"},
		{c.Ports.Etcd, "etcd (clients)", "--etcd-port / DEMO_ETCD_PORT"},
		{c.Ports.EtcdPeer, "etcd (peers)", "--etcd-peer-port / DEMO_ETCD_PEER_PORT"},
		{c.Ports.Emulator, "Entra emulator", "--emulator-port / DEMO_EMULATOR_PORT"},
		{c.Ports.ManagerProbe, "manager health probes", "--manager-probe-port / DEMO_MANAGER_PROBE_PORT"},
	}
}

// validate rejects a configuration the demo cannot run with, before anything starts.
func (c Config) validate() error {
	var errs []error
	seen := map[int]string{}
	for _, p := range c.ports() {
		if p.port < 1 || p.port > 65535 {
			errs = append(errs, fmt.Errorf("%s port %d is out of range (set %s)", p.owner, p.port, p.setting))
			continue
		}
		if other, ok := seen[p.port]; ok {
			errs = append(errs, fmt.Errorf("%s and %s would both listen on port %d", other, p.owner, p.port))
		}
		seen[p.port] = p.owner
	}
	if c.Kubeconfig == "" {
		errs = append(errs, errors.New("no kubeconfig path given"))
	}
	if c.TenantID == "" {
		errs = append(errs, errors.New("no tenant ID given"))
	}
	if c.ReadyTimeout <= 0 {
		errs = append(errs, errors.New("the Ready timeout must be positive"))
	}
	return errors.Join(errs...)
}

// BindBinaryFlags binds the flags that name what the demo and the benchmark both run: the control
// plane's binaries, kubectl, the manager, the emulator and the kustomize tree.
func BindBinaryFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.AssetsDir, "assets-dir", "bin/k8s/current", "directory holding kube-apiserver and etcd (what hack/envtest.sh prints)")
	fs.StringVar(&cfg.Kubectl, "kubectl", "kubectl", "kubectl binary (hack/kubectl.sh prints one, building it when the machine has none)")
	fs.StringVar(&cfg.Manager, "manager", "bin/manager", "the operator's manager binary")
	fs.StringVar(&cfg.Emulator, "emulator", "bin/entra-emulator", "the Entra emulator binary")
	fs.StringVar(&cfg.ConfigDir, "config-dir", "config", "the kustomize tree: crd/, rbac/, manager/manager.yaml and samples/ are read from it")
	fs.StringVar(&cfg.TempRoot, "temp-dir", "", "where to make the run directory (logs, certificates, etcd data); default the system's")
}
