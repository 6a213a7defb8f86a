package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
)

// The benchmark runs the shipped manager binary with the Deployment's args and environment
// (config/manager/manager.yaml) against the emulator binary and a local control plane, on the
// demo's machinery, and applies AppRegistrations with kubectl, as users do.

// BenchConfig is one benchmark run.
type BenchConfig struct {
	Config
	// Restart runs the restart scenario instead of the throughput one.
	Restart bool
	// Objects is how many new objects are applied at once.
	Objects int
	// Latency is the emulator's latency per request.
	Latency time.Duration
	// SteadyWindow is how long Graph calls are counted once every object is Ready.
	SteadyWindow time.Duration
	// LatencyBulk objects are applied while LatencyProbes single objects, one every ProbeEvery,
	// are timed from apply to Secret.
	LatencyBulk   int
	LatencyProbes int
	ProbeEvery    time.Duration
	// KillEvery is how often the restart scenario kills the manager (SIGKILL) and starts it again.
	KillEvery time.Duration
	// Faults are the emulator's flags for the restart scenario.
	Faults []string
	// ReadyTimeout bounds each wait for objects to be Ready.
	ReadyTimeout time.Duration
	// ProfileDir, when set, receives the manager's heap profiles (idle, and with every object
	// Ready); the manager then serves net/http/pprof on PprofPort, which costs nothing unscraped.
	ProfileDir string
	PprofPort  int
}

// Bench runs the benchmark and prints its results to out.
func Bench(ctx context.Context, cfg BenchConfig, out io.Writer) error {
	args, env, err := shippedManager(cfg.ConfigDir)
	if err != nil {
		return err
	}
	cfg.ManagerArgs, cfg.ManagerEnv = args, env
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return err
		}
		cfg.ManagerArgs = append(slices.Clone(args), "--pprof-bind-address="+hostPort(cfg.PprofPort))
	}
	fmt.Fprintf(out, "manager args (config/manager/manager.yaml): %s\nmanager env: %s\n", strings.Join(args, " "), strings.Join(env, " "))
	if cfg.Restart {
		return benchRestarts(ctx, cfg, out)
	}
	return benchThroughput(ctx, cfg, out)
}

// shippedManager reads the manager's args and plain environment from the shipped Deployment.
func shippedManager(configDir string) (args, env []string, err error) {
	raw, err := os.ReadFile(filepath.Join(configDir, "manager", "manager.yaml"))
	if err != nil {
		return nil, nil, err
	}
	for _, doc := range strings.Split(string(raw), "\n---") {
		var d appsv1.Deployment
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil || d.Kind != "Deployment" {
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		for _, e := range c.Env {
			switch {
			case e.ValueFrom == nil:
				env = append(env, e.Name+"="+e.Value)
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
				// The downward API: one pod, whose container the restart scenario kills and restarts.
				env = append(env, e.Name+"="+benchPodName)
			}
		}
		return c.Args, env, nil
	}
	return nil, nil, errors.New("config/manager/manager.yaml holds no Deployment")
}

// benchPodName is the pod the benchmark's manager stands for.
const benchPodName = "entra-sso-operator-bench"

// flagValue returns the last value of --name=value in args, or def.
func flagValue(args []string, name, def string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			def = v
		}
	}
	return def
}

// benchRun is one stack with a client for it.
type benchRun struct {
	*runner
	kc kubectl
	c  client.Client
}

func startBenchRun(ctx context.Context, cfg Config, out io.Writer) (*benchRun, error) {
	r := &runner{cfg: cfg, out: out, start: time.Now()}
	kc, err := r.startStack(ctx)
	b := &benchRun{runner: r, kc: kc}
	if err != nil {
		return b, err
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(entrav1alpha1.AddToScheme(scheme))
	// The benchmark's own reads must not be what is slow.
	admin := *r.controlPlane.admin
	admin.QPS, admin.Burst = 500, 1000
	b.c, err = client.New(&admin, client.Options{Scheme: scheme})
	return b, err
}

// apply writes n AppRegistrations named prefix-i into namespace ns with one kubectl apply.
func (b *benchRun) apply(ctx context.Context, ns, prefix string, n int) error {
	var manifest strings.Builder
	fmt.Fprintf(&manifest, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns)
	for i := range n {
		fmt.Fprintf(&manifest, `---
apiVersion: entra.sso-operator.io/v1alpha1
kind: AppRegistration
metadata:
  name: %[1]s-%[2]d
  namespace: %[3]s
spec:
  displayName: %[1]s %[2]d
  web:
    redirectUris: ["https://crm-%[2]d.example.com/oauth-callback.php"]
`, prefix, i, ns)
	}
	path := b.dir.file(fmt.Sprintf("%s-%s.yaml", ns, prefix))
	if err := os.WriteFile(path, []byte(manifest.String()), 0o600); err != nil {
		return err
	}
	_, err := b.kc.run(ctx, "apply", "--server-side", "-f", path)
	return err
}

// waitAllReady waits until every AppRegistration in ns is Ready, and returns when it saw that.
func (b *benchRun) waitAllReady(ctx context.Context, ns string, n int, timeout time.Duration, progress func(ready int)) error {
	deadline := time.Now().Add(timeout)
	last := time.Now()
	for {
		var list entrav1alpha1.AppRegistrationList
		if err := b.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		ready := 0
		for i := range list.Items {
			if isReady(&list.Items[i]) {
				ready++
			}
		}
		if ready == n {
			return nil
		}
		if time.Since(last) > 30*time.Second && progress != nil {
			progress(ready)
			last = time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d AppRegistrations in %s Ready after %s", ready, n, ns, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// counters reads the emulator's request counters.
func (b *benchRun) counters(ctx context.Context) (benchCounters, error) {
	var c benchCounters
	return c, b.emulatorJSON(ctx, "/_emulator/counters", &c)
}

type benchCounters struct {
	Reads, Writes, Throttled, ServerErrors int64
	ByOperation                            map[string]int64
}

func (b *benchRun) emulatorJSON(ctx context.Context, path string, into any) error {
	hc, err := (&runner{emulator: b.emulator}).proofClient()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+hostPort(b.cfg.Ports.Emulator)+path, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(into)
}

// saveHeapProfile writes the manager's heap profile to the profile directory, when there is one.
func (b *benchRun) saveHeapProfile(ctx context.Context, cfg BenchConfig, name string) {
	if cfg.ProfileDir == "" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostPort(cfg.PprofPort)+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.logf("heap profile %s: %v", name, err)
		return
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err == nil {
		path := filepath.Join(cfg.ProfileDir, "heap-"+name+".pb.gz")
		err = os.WriteFile(path, data, 0o600)
		b.logf("heap profile %s written to %s (go tool pprof -top %s %s)", name, path, b.cfg.Manager, path)
	}
	if err != nil {
		b.logf("heap profile %s: %v", name, err)
	}
}

// rss is the manager's resident memory in MiB: all of it, and the part backed by the binary's file
// (code and read-only data the kernel can drop and read again) rather than allocated (the heap).
type rss struct{ total, file float64 }

func (m rss) String() string {
	return fmt.Sprintf("%.0f MiB (%.0f anonymous + %.0f file-backed)", m.total, m.total-m.file, m.file)
}

func (b *benchRun) cpuSeconds() float64 { return cpuSeconds(b.manager.cmd.Process.Pid) }

// cpuSeconds is the CPU time process pid has used so far (user and system), from /proc/PID/stat;
// the kernel counts it in clock ticks, 100 a second on Linux.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces: utime and
	// stime are the 12th and 13th of them.
	_, rest, _ := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.ParseFloat(fields[11], 64)
	system, _ := strconv.ParseFloat(fields[12], 64)
	return (user + system) / 100
}

func (b *benchRun) peakRSSMiB() float64 { return peakRSSMiB(b.manager.cmd.Process.Pid) }

// peakRSSMiB is the most resident memory process pid has had (VmHWM).
func peakRSSMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func (b *benchRun) rssMiB() rss {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.manager.cmd.Process.Pid))
	if err != nil {
		return rss{}
	}
	var out rss
	for _, line := range strings.Split(string(data), "\n") {
		name, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch name {
		case "VmRSS":
			out.total = kb / 1024
		case "RssFile":
			out.file = kb / 1024
		}
	}
	return out
}

// graphLike are the emulator's flags for Graph as it is on a good day: its latency and its
// documented write limits.
func (cfg BenchConfig) graphLike() []string {
	return []string{"--latency=" + cfg.Latency.String(), "--throttle"}
}

func benchThroughput(ctx context.Context, cfg BenchConfig, out io.Writer) (err error) {
	cfg.EmulatorArgs = cfg.graphLike()
	b, err := startBenchRun(ctx, cfg.Config, out)
	defer func() { err = errors.Join(err, b.cleanup()) }()
	if err != nil {
		return err
	}
	writeQPS, _ := strconv.ParseFloat(flagValue(cfg.ManagerArgs, "graph-write-qps", "10"), 64)
	time.Sleep(5 * time.Second)
	idle := b.rssMiB()
	b.saveHeapProfile(ctx, cfg, "idle")

	// 1. N new objects at once.
	c0, err := b.counters(ctx)
	if err != nil {
		return err
	}
	cpu0 := b.cpuSeconds()
	start := time.Now()
	if err := b.apply(ctx, "bench-new", "crm", cfg.Objects); err != nil {
		return err
	}
	applied := time.Since(start)
	if err := b.waitAllReady(ctx, "bench-new", cfg.Objects, cfg.ReadyTimeout, func(n int) { b.logf("%d of %d Ready", n, cfg.Objects) }); err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpuBulk := b.cpuSeconds() - cpu0
	c1, err := b.counters(ctx)
	if err != nil {
		return err
	}
	writes, throttled := c1.Writes-c0.Writes, c1.Throttled-c0.Throttled
	ideal := time.Duration(float64(2*cfg.Objects) / writeQPS * float64(time.Second))

	// 2. Steady state: every object Ready, count what the operator asks of Graph.
	time.Sleep(10 * time.Second)
	rssAtN := b.rssMiB()
	b.saveHeapProfile(ctx, cfg, fmt.Sprintf("objects-%d", cfg.Objects))
	s0, err := b.counters(ctx)
	if err != nil {
		return err
	}
	b.logf("counting Graph calls for %s with %d objects in sync", cfg.SteadyWindow, cfg.Objects)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.SteadyWindow):
	}
	s1, err := b.counters(ctx)
	if err != nil {
		return err
	}
	steadyCalls := (s1.Reads + s1.Writes) - (s0.Reads + s0.Writes)
	perObjectHour := float64(steadyCalls) / float64(cfg.Objects) / cfg.SteadyWindow.Hours()
	rssAfterSteady := b.rssMiB()

	// 3. Single objects applied while a bulk is being created, timed from apply to Secret.
	latencies, err := b.probeLatency(ctx, cfg)
	if err != nil {
		return err
	}
	slices.Sort(latencies)

	fmt.Fprintf(out, "\nRESULTS (emulator latency %s, Graph throttling on, --graph-write-qps %g)\n", cfg.Latency, writeQPS)
	fmt.Fprintf(out, "new objects:     %d Ready in %s (kubectl apply took %s); minimum writes %d at %g/s = %s; ratio %.2f\n",
		cfg.Objects, elapsed.Round(100*time.Millisecond), applied.Round(100*time.Millisecond), 2*cfg.Objects, writeQPS, ideal, elapsed.Seconds()/ideal.Seconds())
	fmt.Fprintf(out, "Graph writes:    %d (%.2f per object), %d answered 429 (%.2f%%)\n", writes, float64(writes)/float64(cfg.Objects), throttled, 100*float64(throttled)/float64(max(writes, 1)))
	fmt.Fprintf(out, "steady state:    %d Graph calls in %s for %d objects = %.4f per object per hour (writes %d): %v\n",
		steadyCalls, cfg.SteadyWindow, cfg.Objects, perObjectHour, s1.Writes-s0.Writes, diffOps(s0.ByOperation, s1.ByOperation))
	fmt.Fprintf(out, "manager RSS:     idle %s; at %d objects %s; after the steady window %s; peak %.0f MiB\n",
		idle, cfg.Objects, rssAtN, rssAfterSteady, b.peakRSSMiB())
	fmt.Fprintf(out, "manager CPU:     %.0f s while the %d objects were created (%.2f of a core)\n", cpuBulk, cfg.Objects, cpuBulk/elapsed.Seconds())
	if len(latencies) > 0 {
		fmt.Fprintf(out, "apply → Secret:  p50 %s, p99 %s, max %s over %d single objects while %d others were created\n",
			percentile(latencies, 50), percentile(latencies, 99), latencies[len(latencies)-1], len(latencies), cfg.LatencyBulk)
	}
	return nil
}

// probeLatency applies LatencyBulk objects in one namespace and, while they are being created,
// LatencyProbes single objects in another, one every ProbeEvery, each timed from the start of its
// kubectl apply until its Secret exists.
func (b *benchRun) probeLatency(ctx context.Context, cfg BenchConfig) ([]time.Duration, error) {
	if cfg.LatencyBulk == 0 || cfg.LatencyProbes == 0 {
		return nil, nil
	}
	bulkDone := make(chan error, 1)
	go func() { bulkDone <- b.apply(ctx, "bench-bulk", "bulk", cfg.LatencyBulk) }()
	// Let the bulk reach the operator before the first probe.
	time.Sleep(5 * time.Second)
	var out []time.Duration
	for i := range cfg.LatencyProbes {
		start := time.Now()
		if err := b.apply(ctx, "bench-probe", fmt.Sprintf("probe%d", i), 1); err != nil {
			return out, err
		}
		key := client.ObjectKey{Namespace: "bench-probe", Name: fmt.Sprintf("probe%d-0", i)}
		for {
			err := b.c.Get(ctx, key, &corev1.Secret{})
			if err == nil {
				break
			}
			if !apierrors.IsNotFound(err) {
				return out, err
			}
			if time.Since(start) > 5*time.Minute {
				return out, fmt.Errorf("no Secret for %s after 5 minutes", key)
			}
			time.Sleep(50 * time.Millisecond)
		}
		out = append(out, time.Since(start))
		time.Sleep(max(0, cfg.ProbeEvery-time.Since(start)))
	}
	if err := <-bulkDone; err != nil {
		return out, err
	}
	var list entrav1alpha1.AppRegistrationList
	if err := b.c.List(ctx, &list, client.InNamespace("bench-bulk")); err != nil {
		return out, err
	}
	ready := 0
	for i := range list.Items {
		if isReady(&list.Items[i]) {
			ready++
		}
	}
	b.logf("when the last probe was done, %d of the %d bulk objects were Ready", ready, cfg.LatencyBulk)
	return out, nil
}

func benchRestarts(ctx context.Context, cfg BenchConfig, out io.Writer) error {
	base := cfg.Config
	base.EmulatorArgs = cfg.graphLike()
	faultFree, _, err := timeToReady(ctx, base, cfg, 0, out)
	if err != nil {
		return fmt.Errorf("fault-free run: %w", err)
	}
	faulty := cfg.Config
	faulty.EmulatorArgs = append(cfg.graphLike(), cfg.Faults...)
	withFaults, kills, err := timeToReady(ctx, faulty, cfg, cfg.KillEvery, out)
	if err != nil {
		return fmt.Errorf("run with faults and kills: %w", err)
	}
	fmt.Fprintf(out, "\nRESULTS (emulator latency %s, Graph throttling on)\n", cfg.Latency)
	fmt.Fprintf(out, "fault-free:      %d new objects Ready in %s\n", cfg.Objects, faultFree.Round(100*time.Millisecond))
	fmt.Fprintf(out, "faults + kills:  %d new objects Ready in %s (%s; manager SIGKILLed and restarted %d times, every %s); %.2f× the fault-free time; exactly one application each\n",
		cfg.Objects, withFaults.Round(100*time.Millisecond), strings.Join(cfg.Faults, " "), kills, cfg.KillEvery, withFaults.Seconds()/faultFree.Seconds())
	return nil
}

// timeToReady applies cfg.Objects new objects on a fresh stack and waits until all are Ready,
// killing and restarting the manager every killEvery (0: never); then it checks that each object
// has exactly one application.
func timeToReady(ctx context.Context, stack Config, cfg BenchConfig, killEvery time.Duration, out io.Writer) (elapsed time.Duration, kills int, err error) {
	b, err := startBenchRun(ctx, stack, out)
	defer func() { err = errors.Join(err, b.cleanup()) }()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := b.apply(ctx, "bench-restart", "crm", cfg.Objects); err != nil {
		return 0, 0, err
	}
	waitCtx, stopWaiting := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.waitAllReady(waitCtx, "bench-restart", cfg.Objects, cfg.ReadyTimeout, func(n int) { b.logf("%d of %d Ready", n, cfg.Objects) })
	}()
	var tick <-chan time.Time
	if killEvery > 0 {
		t := time.NewTicker(killEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-done:
			stopWaiting()
			if err != nil {
				return 0, kills, err
			}
			elapsed = time.Since(start)
			return elapsed, kills, b.checkOneApplicationEach(ctx, cfg.Objects)
		case <-tick:
			if err := b.manager.kill(); err != nil {
				stopWaiting()
				return 0, kills, err
			}
			kills++
			if err := b.startManager(ctx); err != nil {
				stopWaiting()
				return 0, kills, err
			}
		}
	}
}

// checkOneApplicationEach fails unless every AppRegistration has exactly one application.
func (b *benchRun) checkOneApplicationEach(ctx context.Context, n int) error {
	var apps []struct{ UniqueName string }
	if err := b.emulatorJSON(ctx, "/_emulator/applications", &apps); err != nil {
		return err
	}
	count := map[string]int{}
	for _, a := range apps {
		count[strings.ToLower(a.UniqueName)]++
	}
	var list entrav1alpha1.AppRegistrationList
	if err := b.c.List(ctx, &list); err != nil {
		return err
	}
	var bad []string
	for i := range list.Items {
		if c := count[desired.UniqueName(string(list.Items[i].UID))]; c != 1 {
			bad = append(bad, fmt.Sprintf("%s has %d applications", list.Items[i].Name, c))
		}
	}
	if len(list.Items) != n || len(bad) > 0 {
		return fmt.Errorf("%d objects; %s", len(list.Items), strings.Join(bad, "; "))
	}
	return nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i, len(sorted))-1)].Round(10 * time.Millisecond)
}

// diffOps is the per-operation count between two snapshots, without zeros.
func diffOps(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
