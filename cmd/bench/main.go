// Command bench benchmarks the shipped operator: the manager binary with the Deployment's args and
// environment (config/manager/manager.yaml), the Entra emulator binary with Graph's latency and
// throttling, and a local kube-apiserver and etcd, with AppRegistrations applied by kubectl. `make
// bench` builds what it needs and runs it; see the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/entra-sso-operator/entra-sso-operator/internal/demo"
)

func main() {
	// The benchmark starts kube-apiserver and etcd through itself, as the demo does.
	demo.ExecControlPlaneShim()
	signal.Ignore(syscall.SIGPIPE)
	// envtest logs through controller-runtime; the benchmark prints its own progress.
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	// Other ports than the demo's, so both can run on one machine.
	cfg := demo.BenchConfig{Config: demo.Config{
		Ports:    demo.Ports{APIServer: 26443, Etcd: 22379, EtcdPeer: 22380, Emulator: 28443, ManagerProbe: 28081},
		TenantID: demo.DefaultTenantID, ReadyTimeout: time.Minute,
	}}
	var faults string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	demo.BindBinaryFlags(fs, &cfg.Config)
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "bin/bench.kubeconfig", "where to write the cluster admin's kubeconfig while the benchmark runs")
	fs.BoolVar(&cfg.Restart, "restart", false, "run the restart scenario: the same objects fault-free, then under --faults with the manager killed every --kill-every")
	fs.IntVar(&cfg.Objects, "objects", 200, "new objects applied at once")
	fs.DurationVar(&cfg.Latency, "latency", 100*time.Millisecond, "the emulator's latency per request")
	fs.DurationVar(&cfg.SteadyWindow, "steady-window", 2*time.Minute, "how long Graph calls are counted with every object in sync")
	fs.IntVar(&cfg.LatencyBulk, "latency-bulk", 200, "objects being created while single objects are timed from apply to Secret (0: skip)")
	fs.IntVar(&cfg.LatencyProbes, "latency-probes", 20, "single objects timed from apply to Secret")
	fs.DurationVar(&cfg.ProbeEvery, "probe-every", 2*time.Second, "pause between single objects")
	fs.DurationVar(&cfg.KillEvery, "kill-every", 20*time.Second, "restart scenario: how often the manager is killed (SIGKILL) and started again")
	fs.StringVar(&faults, "faults", "--replication-lag=3s --error-rate=0.1", "restart scenario: the emulator's fault flags (throttling is always on)")
	fs.DurationVar(&cfg.ReadyTimeout, "ready-timeout", time.Hour, "bound on each wait for objects to be Ready")
	fs.IntVar(&cfg.Ports.APIServer, "apiserver-port", cfg.Ports.APIServer, "kube-apiserver's port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.Etcd, "etcd-port", cfg.Ports.Etcd, "etcd's client port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.EtcdPeer, "etcd-peer-port", cfg.Ports.EtcdPeer, "etcd's peer port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.Emulator, "emulator-port", cfg.Ports.Emulator, "the Entra emulator's HTTPS port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.ManagerProbe, "manager-probe-port", cfg.Ports.ManagerProbe, "the manager's health probe port on 127.0.0.1")
	fs.StringVar(&cfg.ProfileDir, "profile-dir", "", "write the manager's heap profiles here (the manager then serves pprof on --pprof-port)")
	fs.IntVar(&cfg.PprofPort, "pprof-port", 28060, "the manager's pprof port on 127.0.0.1 when --profile-dir is set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg.Faults = strings.Fields(faults)
	return demo.Bench(ctx, cfg, os.Stdout)
}
