package demo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// kubeconfigMarker starts every kubeconfig the demo writes. The demo overwrites and removes only
// files that start with it, so a mistyped --kubeconfig never destroys the user's own.
const kubeconfigMarker = "# Written by the entra-sso-operator demo for its local cluster; removed when the demo stops.\n"

// RunningBanner is printed once everything is up and the demo waits for Ctrl-C.
const RunningBanner = "The demo is running. Press Ctrl-C to stop it; it then removes everything it started."

// childStopGrace is how long a child gets between SIGTERM and SIGKILL.
const childStopGrace = 15 * time.Second

// demoConsumer is the Deployment the demo creates for the EspoCRM sample's spec.secret.consumers.
const demoConsumer = "espocrm"

// logTailLines is how much of the manager's log a failure shows.
const logTailLines = 40

// Run runs the demo, writing progress and the summary to out: until ctx ends, or with cfg.OneShot
// until the summary is printed. It fails when something could not start, a sample did not become
// Ready or a proof failed. Before it returns, it has stopped every process it started and removed
// every file it wrote.
func Run(ctx context.Context, cfg Config, out io.Writer) (err error) {
	if err := cfg.validate(); err != nil {
		return err
	}
	if err := checkBinaries(cfg); err != nil {
		return err
	}
	if cfg, err = cfg.absolute(); err != nil {
		return err
	}
	if err := checkKubeconfigPath(cfg.Kubeconfig); err != nil {
		return err
	}
	if err := checkPortsFree(ctx, cfg.ports()); err != nil {
		return err
	}
	// The emulator's operator holds the consent roles; the allow-list keeps grants to the samples'.
	cfg.ManagerArgs = append(slices.Clone(cfg.ManagerArgs), "--consent-mode=grant", "--consent-allow="+demoConsentAllow)
	r := &runner{cfg: cfg, out: out, start: time.Now()}
	defer func() {
		if err != nil && r.manager != nil {
			r.logf("the manager's log (%s) ends with:\n%s", r.manager.logPath, indent(r.manager.logTail(logTailLines), "    "))
		}
		if cleanupErr := r.cleanup(); cleanupErr != nil {
			err = errors.Join(err, cleanupErr)
		}
	}()
	return r.run(ctx)
}

// runner holds one demo run's state, so cleanup can stop exactly what was started.
type runner struct {
	cfg   Config
	out   io.Writer
	start time.Time

	dir          *runDir
	controlPlane *controlPlane
	emulator     *emulator
	manager      *child
	wroteConfig  bool
}

// logf prints one progress line, stamped with the time since the demo started.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.out, "[%6.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func (r *runner) run(ctx context.Context) error {
	kc, err := r.startStack(ctx)
	if err != nil {
		return err
	}
	// The EspoCRM sample names the Deployment espocrm as a consumer of its Secret. The local
	// control plane runs no pods; the Deployment shows where the operator puts the Secret's
	// content hash, which would roll EspoCRM's pods in a cluster.
	if err := r.kubectlStep(ctx, kc, "create", "deployment", demoConsumer, "--image=espocrm/espocrm"); err != nil {
		return err
	}
	if err := r.kubectlStep(ctx, kc, "apply", "-k", r.relConfig("samples")); err != nil {
		return err
	}
	summaryErr := r.summarize(ctx, kc, time.Now())
	if r.cfg.OneShot || ctx.Err() != nil {
		return summaryErr
	}
	if summaryErr != nil {
		r.logf("the demo FAILED: %v", summaryErr)
		r.logf("the cluster stays up so you can look; the demo exits non-zero when stopped")
	}
	fmt.Fprintf(r.out, "\nUse the cluster from another terminal:\n    KUBECONFIG=%s kubectl get appregistrations\n%s\n", r.cfg.Kubeconfig, RunningBanner)
	select {
	case <-ctx.Done():
		r.logf("interrupted: stopping")
		return summaryErr
	case <-r.manager.done:
		return errors.Join(summaryErr, r.manager.exitError())
	case <-r.emulator.done:
		return errors.Join(summaryErr, r.emulator.exitError())
	}
}

// startStack starts what the demo and the benchmark both run: the control plane with the CRD and
// the manager's RBAC, the emulator, and the manager; it returns kubectl for the cluster admin.
func (r *runner) startStack(ctx context.Context) (kubectl, error) {
	ports := make([]string, 0, len(r.cfg.ports()))
	for _, p := range r.cfg.ports() {
		ports = append(ports, fmt.Sprint(p.port))
	}
	r.logf("ports %s on %s are free", strings.Join(ports, ", "), loopback)
	if removed, err := RemoveStaleRunDirs(r.cfg.TempRoot); err != nil {
		r.logf("warning: %v", err)
	} else if len(removed) > 0 {
		r.logf("removed %s, left by a demo that was killed", strings.Join(removed, ", "))
	}
	var err error
	if r.dir, err = newRunDir(r.cfg.TempRoot); err != nil {
		return kubectl{}, err
	}

	r.logf("starting etcd and kube-apiserver %s from %s", "https://"+hostPort(r.cfg.Ports.APIServer), r.cfg.AssetsDir)
	if r.controlPlane, err = startControlPlane(r.cfg, r.dir); err != nil {
		return kubectl{}, err
	}
	if err := r.writeKubeconfigs(); err != nil {
		return kubectl{}, err
	}
	r.logf("control plane up; admin kubeconfig %s", r.cfg.Kubeconfig)
	kc := kubectl{path: r.cfg.Kubectl, kubeconfig: r.cfg.Kubeconfig, env: childEnv(), dir: filepath.Dir(r.cfg.ConfigDir), cacheDir: r.dir.file("kube-cache")}
	if err := r.installOperatorPrerequisites(ctx, kc); err != nil {
		return kc, err
	}

	r.logf("starting the Entra emulator %s (%s)", "https://"+hostPort(r.cfg.Ports.Emulator), r.cfg.Emulator)
	if r.emulator, err = startEmulator(ctx, r.cfg, r.dir, childEnv()); err != nil {
		return kc, err
	}
	r.logf("emulator up: tenant %s, operator application %s", r.emulator.creds.Tenants[0].TenantID, r.emulator.creds.Tenants[0].ClientID)
	r.logf("starting the operator: %s %s --authority-host=%s --graph-endpoint=%s --ca-bundle=%s (identity in AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
		r.cfg.Manager, strings.Join(r.cfg.ManagerArgs, " "), r.emulator.creds.AuthorityHost, r.emulator.creds.GraphBaseURL, r.emulator.caFile)
	if err := r.startManager(ctx); err != nil {
		return kc, err
	}
	r.logf("manager ready (log %s)", r.manager.logPath)
	return kc, nil
}

// startManager starts (or starts again) the manager against the running control plane and emulator.
func (r *runner) startManager(ctx context.Context) error {
	var err error
	r.manager, err = startManager(ctx, r.cfg, r.dir, r.emulator, r.dir.file("operator.kubeconfig"), childEnv())
	return err
}

// leaderElectionNamespace holds the manager's Lease when its args ask for leader election, as the
// operator's namespace does in a cluster.
const leaderElectionNamespace = "entra-sso-operator-system"

// installOperatorPrerequisites does what `make install` and the manager's RBAC do in a real cluster:
// it installs the CRD and binds the manager's generated ClusterRole to the user the manager runs as.
func (r *runner) installOperatorPrerequisites(ctx context.Context, kc kubectl) error {
	const apply, create = "apply", "create"
	steps := [][]string{
		{apply, "-k", r.relConfig("crd")},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd/appregistrations.entra.sso-operator.io"},
		{apply, "-f", r.relConfig("rbac/role.yaml")},
		{create, "clusterrolebinding", "entra-sso-operator-demo", "--clusterrole=manager-role", "--user=" + operatorUserName},
	}
	if slices.Contains(r.cfg.ManagerArgs, "--leader-elect") {
		ns := leaderElectionNamespace
		steps = append(steps, []string{create, "namespace", ns},
			[]string{apply, "-n", ns, "-f", r.relConfig("rbac/leader_election_role.yaml")},
			[]string{create, "rolebinding", "-n", ns, "entra-sso-operator-demo-leader-election", "--role=leader-election-role", "--user=" + operatorUserName})
		r.cfg.ManagerArgs = append(r.cfg.ManagerArgs, "--leader-election-namespace="+ns)
	}
	for _, args := range steps {
		if err := r.kubectlStep(ctx, kc, args...); err != nil {
			return err
		}
	}
	return nil
}

// relConfig is a path under the config directory, relative to kubectl's working directory, so the
// printed commands read as the user would type them (kubectl apply -k config/samples).
func (r *runner) relConfig(path string) string {
	return filepath.Join(filepath.Base(r.cfg.ConfigDir), path)
}

// kubectlStep runs one kubectl command and prints it with its output.
func (r *runner) kubectlStep(ctx context.Context, kc kubectl, args ...string) error {
	r.logf("$ kubectl %s", strings.Join(args, " "))
	output, err := kc.run(ctx, args...)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(output); s != "" {
		fmt.Fprintln(r.out, indent(s, "           "))
	}
	return nil
}

// summarize waits for the samples to become Ready, proves their Secrets and prints the summary.
func (r *runner) summarize(ctx context.Context, kc kubectl, appliedAt time.Time) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(entrav1alpha1.AddToScheme(scheme))
	c, err := client.New(r.controlPlane.admin, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("connecting to the API server: %w", err)
	}
	r.logf("waiting up to %s for every AppRegistration to be Ready", r.cfg.ReadyTimeout)
	ready, err := waitReady(ctx, c, r.manager, r.cfg.ReadyTimeout, appliedAt)
	if err != nil {
		return err
	}
	if err := r.kubectlStep(ctx, kc, "get", "appregistrations", "--all-namespaces"); err != nil {
		return err
	}
	proofClient, err := r.proofClient()
	if err != nil {
		return err
	}
	var failures []string
	proofs := 0
	fmt.Fprintln(r.out)
	for _, rd := range ready {
		rep := sampleReport{obj: rd.obj, readyAfter: rd.after}
		var secret corev1.Secret
		rep.secretErr = c.Get(ctx, client.ObjectKey{Namespace: rd.obj.Namespace, Name: rep.secretName()}, &secret)
		if rep.secretErr == nil {
			rep.secret = secret.Data
			rep.proofs = secretproof.Run(ctx, proofClient, secret.Data, proversFor(rd.obj, r.emulator.creds.AuthorityHost))
		}
		writeReport(r.out, rep)
		fmt.Fprintln(r.out)
		failures = append(failures, rep.failures()...)
		for _, p := range rep.proofs {
			if p.Passed() {
				proofs++
			}
		}
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	fmt.Fprintf(r.out, "PASS: %d AppRegistration(s) Ready, %d proof(s) passed from their Secrets.\n\n", len(ready), proofs)
	if err := r.demonstrateRotation(ctx, kc, c, proofClient, ready); err != nil {
		return err
	}
	return r.demonstrateTenancy(ctx, kc, c, proofClient)
}

// proofClient trusts the emulator's CA and nothing else: the proofs use what a CRM would be given.
func (r *runner) proofClient() (*http.Client, error) {
	ca, err := os.ReadFile(r.emulator.caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the emulator's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("the emulator's CA file holds no PEM certificate")
	}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// writeKubeconfigs writes the admin kubeconfig where the user asked and the operator's into the run
// directory.
func (r *runner) writeKubeconfigs() error {
	if err := os.MkdirAll(filepath.Dir(r.cfg.Kubeconfig), 0o755); err != nil {
		return fmt.Errorf("creating the kubeconfig's directory: %w", err)
	}
	r.wroteConfig = true
	if err := os.WriteFile(r.cfg.Kubeconfig, append([]byte(kubeconfigMarker), r.controlPlane.adminKubeconfig...), 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return os.WriteFile(r.dir.file("operator.kubeconfig"), r.controlPlane.operatorKubeconfig, 0o600)
}

// cleanup stops the children in the reverse order of their start (the manager first, so it does not
// log errors about a vanished API server) and removes the kubeconfig and the run directory.
func (r *runner) cleanup() error {
	var errs []error
	if r.manager != nil {
		errs = append(errs, r.manager.stop(childStopGrace))
	}
	if r.emulator != nil {
		errs = append(errs, r.emulator.stop(childStopGrace))
	}
	if r.controlPlane != nil {
		errs = append(errs, r.controlPlane.stop())
	}
	if r.wroteConfig {
		if err := os.Remove(r.cfg.Kubeconfig); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if r.dir != nil {
		errs = append(errs, r.dir.remove())
	}
	err := errors.Join(errs...)
	if err == nil && r.dir != nil {
		r.logf("stopped everything the demo started and removed %s and %s", r.dir.path, r.cfg.Kubeconfig)
	}
	return err
}

// absolute resolves the configured paths, since kubectl runs in another directory than the demo.
func (c Config) absolute() (Config, error) {
	var err error
	if c.Kubectl, err = exec.LookPath(c.Kubectl); err != nil {
		return c, err
	}
	for _, p := range []*string{&c.Kubectl, &c.AssetsDir, &c.Manager, &c.Emulator, &c.ConfigDir, &c.Kubeconfig} {
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkBinaries fails, saying how to get them, when a binary the demo runs is missing.
func checkBinaries(cfg Config) error {
	var errs []error
	for _, b := range []struct{ path, what, fix string }{
		{filepath.Join(cfg.AssetsDir, kubeAPIServerBinary), kubeAPIServerBinary, "run `make envtest`"},
		{filepath.Join(cfg.AssetsDir, etcdBinary), etcdBinary, "run `make envtest`"},
		{cfg.Manager, "the manager", "run `make build`"},
		{cfg.Emulator, "the Entra emulator", "run `make build-emulator`"},
		{cfg.Kubectl, "kubectl", "run hack/kubectl.sh, which builds one when the machine has none"},
	} {
		if _, err := exec.LookPath(b.path); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s) is missing or not executable: %s (`make demo` does all of this)", b.what, b.path, b.fix))
		}
	}
	return errors.Join(errs...)
}

// checkKubeconfigPath refuses a kubeconfig path holding a file the demo did not write.
func checkKubeconfigPath(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the kubeconfig path: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(kubeconfigMarker)) {
		return fmt.Errorf("%s exists and was not written by the demo: refusing to overwrite it (pick another --kubeconfig / DEMO_KUBECONFIG)", path)
	}
	return nil
}
