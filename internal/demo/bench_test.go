package demo

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/testenv"
)

// TestBenchRunsTheShippedManager: the benchmark's manager gets the Deployment's args and env, the
// downward API's pod name included.
func TestBenchRunsTheShippedManager(t *testing.T) {
	args, env, err := shippedManager(filepath.Join(testenv.Root(), "config"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(args, "--leader-elect") {
		t.Errorf("args %q lack the Deployment's --leader-elect", args)
	}
	for _, name := range []string{"GOGC=", "GOMEMLIMIT=", "POD_NAME=" + benchPodName} {
		if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, name) }) {
			t.Errorf("env %q lacks the Deployment's %s", env, name)
		}
	}
}

func TestBenchHelpers(t *testing.T) {
	args := []string{"--graph-write-qps=5", "--x=1", "--graph-write-qps=7"}
	if got := flagValue(args, "graph-write-qps", "10"); got != "7" {
		t.Errorf("flagValue = %q, want the last value 7", got)
	}
	if got := flagValue(nil, "graph-write-qps", "10"); got != "10" {
		t.Errorf("flagValue without the flag = %q, want the default", got)
	}
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Second)
	}
	if p50, p99 := percentile(d, 50), percentile(d, 99); p50 != 50*time.Second || p99 != 99*time.Second {
		t.Errorf("p50 %s p99 %s, want 50s 99s", p50, p99)
	}
	if got := percentile(d[:3], 99); got != 3*time.Second {
		t.Errorf("p99 of three = %s, want the largest", got)
	}
}

func TestTheProcessCountersReadThisProcess(t *testing.T) {
	before := cpuSeconds(os.Getpid())
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		_ = sha256.Sum256([]byte(deadline.String()))
	}
	if after := cpuSeconds(os.Getpid()); after <= before {
		t.Errorf("CPU seconds %v after 300 ms of work, %v before", after, before)
	}
	if peak := peakRSSMiB(os.Getpid()); peak < 1 {
		t.Errorf("peak RSS %v MiB", peak)
	}
	if cpuSeconds(-1) != 0 || peakRSSMiB(-1) != 0 {
		t.Error("a process that does not exist reads as something")
	}
}
