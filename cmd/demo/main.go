// Command demo runs the operator's main job on one machine: a local kube-apiserver and etcd, the
// Entra emulator and the operator's manager, then `kubectl apply -k config/samples`, a wait for
// Ready and a summary that proves each Secret works. `make demo` builds what it needs and runs it;
// see the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/demo"
)

func main() {
	// When the demo starts kube-apiserver or etcd, it starts itself under their name; this turns
	// that process into the real binary and does not return.
	demo.ExecControlPlaneShim()

	// With `make demo | tee log`, Ctrl-C ends tee too; the demo's next write would then kill it with
	// SIGPIPE before it cleaned up. Ignored, the write just fails and the cleanup goes on.
	signal.Ignore(syscall.SIGPIPE)
	// SIGHUP too: closing the terminal must clean up like Ctrl-C. The context keeps catching signals
	// until stop() runs after Run, so a second Ctrl-C cannot cut the cleanup short.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, runs the demo and returns the exit code: 0 when it passed (or was stopped after
// passing), 1 when it failed, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 2
	}
	if err := demo.Run(ctx, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "\ndemo FAILED:\n%v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, output io.Writer) (demo.Config, error) {
	cfg := demo.Config{Ports: demo.DefaultPorts}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(output)
	demo.BindBinaryFlags(fs, &cfg)
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "bin/demo.kubeconfig", "where to write the cluster admin's kubeconfig while the demo runs")
	fs.IntVar(&cfg.Ports.APIServer, "apiserver-port", cfg.Ports.APIServer, "kube-apiserver's port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.Etcd, "etcd-port", cfg.Ports.Etcd, "etcd's client port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.EtcdPeer, "etcd-peer-port", cfg.Ports.EtcdPeer, "etcd's peer port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.Emulator, "emulator-port", cfg.Ports.Emulator, "the Entra emulator's HTTPS port on 127.0.0.1")
	fs.IntVar(&cfg.Ports.ManagerProbe, "manager-probe-port", cfg.Ports.ManagerProbe, "the manager's health probe port on 127.0.0.1")
	fs.StringVar(&cfg.TenantID, "tenant-id", demo.DefaultTenantID, "the emulator tenant's ID (a GUID)")
	fs.DurationVar(&cfg.ReadyTimeout, "ready-timeout", 3*time.Minute, "how long to wait for every sample to become Ready")
	fs.BoolVar(&cfg.OneShot, "oneshot", false, "exit after the summary: 0 when every sample became Ready and every proof passed")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: demo [flags]\n\n"+
			"Starts kube-apiserver and etcd, the Entra emulator and the operator's manager on 127.0.0.1, applies\n"+
			"config/samples with kubectl, waits for Ready and proves each Secret works. Runs until interrupted\n"+
			"(or with --oneshot exits after the summary), then stops and removes everything it started.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return cfg, nil
}
