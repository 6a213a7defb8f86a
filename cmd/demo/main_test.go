package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/demo"
	"github.com/entra-sso-operator/entra-sso-operator/internal/testenv"
)

// These tests run the built demo binary as a user does and check what it leaves behind. `make test`
// builds the binaries and points the tests at them; they need the envtest binaries as the other
// envtest suites do.

// startupTimeout bounds the demo's start up to its running banner on a loaded 2-core machine.
const startupTimeout = 4 * time.Minute

// demoProcess is a running bin/demo with its output collected.
type demoProcess struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	out     bytes.Buffer
	running chan struct{} // closed when the running banner is printed
	exited  chan struct{}
	waitErr error
	ports   []int
	tmp     string // --temp-dir
	kubecfg string
	kubectl string
}

func binaries(t *testing.T) (binDir, kubectl, assets string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the demo's parent-death guarantees are Linux-only")
	}
	binDir, kubectl = os.Getenv("ENTRA_DEMO_BIN_DIR"), os.Getenv("ENTRA_DEMO_KUBECTL")
	if binDir == "" || kubectl == "" {
		t.Skip("ENTRA_DEMO_BIN_DIR and ENTRA_DEMO_KUBECTL are unset: `make test` builds the demo's binaries and sets them")
	}
	assets, err := testenv.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	return binDir, kubectl, assets
}

// freePorts returns n ports free on loopback now, so the tests never collide with a `make demo`
// running on the default ports.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func startDemo(t *testing.T) *demoProcess {
	t.Helper()
	binDir, kubectl, assets := binaries(t)
	tmp := t.TempDir()
	p := &demoProcess{
		running: make(chan struct{}), exited: make(chan struct{}),
		ports: freePorts(t, 5), tmp: filepath.Join(tmp, "run"), kubecfg: filepath.Join(tmp, "kubeconfig"), kubectl: kubectl,
	}
	if err := os.Mkdir(p.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// When the test ends, a demo still running is interrupted as a user would, and killed only if it
	// has not exited a minute later.
	p.cmd = exec.CommandContext(t.Context(), filepath.Join(binDir, "demo"),
		"--assets-dir", assets, "--kubectl", kubectl,
		"--manager", filepath.Join(binDir, "manager"), "--emulator", filepath.Join(binDir, "entra-emulator"),
		"--config-dir", filepath.Join(testenv.Root(), "config"), "--kubeconfig", p.kubecfg, "--temp-dir", p.tmp,
		"--apiserver-port", strconv.Itoa(p.ports[0]), "--etcd-port", strconv.Itoa(p.ports[1]),
		"--etcd-peer-port", strconv.Itoa(p.ports[2]), "--emulator-port", strconv.Itoa(p.ports[3]),
		"--manager-probe-port", strconv.Itoa(p.ports[4]))
	p.cmd.Cancel = func() error { return p.cmd.Process.Signal(syscall.SIGINT) }
	p.cmd.WaitDelay = time.Minute
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{p: p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(stdout)
	// A failed test must not leave a demo behind either: t.Context's end interrupts it (above).
	t.Cleanup(func() { <-p.exited })
	select {
	case <-p.running:
	case <-p.exited:
		t.Fatalf("the demo exited before it was running: %v\n%s", p.waitErr, p.output())
	case <-time.After(startupTimeout):
		t.Fatalf("the demo was not running after %s:\n%s", startupTimeout, p.output())
	}
	return p
}

// read collects stdout, closes running at the banner, and records how the process ended.
func (p *demoProcess) read(stdout io.Reader) {
	s := bufio.NewScanner(stdout)
	for s.Scan() {
		p.mu.Lock()
		p.out.WriteString(s.Text() + "\n")
		p.mu.Unlock()
		if s.Text() == demo.RunningBanner {
			close(p.running)
		}
	}
	p.waitErr = p.cmd.Wait()
	close(p.exited)
}

func (p *demoProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

type lockedWriter struct{ p *demoProcess }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// children returns the PIDs and names of the demo's direct child processes, from /proc.
func (p *demoProcess) children(t *testing.T) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, ppid, state, ok := procStat(pid)
		if ok && ppid == p.cmd.Process.Pid && state != "Z" {
			out[pid] = name
		}
	}
	return out
}

// procStat reads a process's name, parent and state from /proc/PID/stat.
func procStat(pid int) (name string, ppid int, state string, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, "", false
	}
	// The name is in parentheses and may hold spaces; the fields after it are space-separated.
	open, closing := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return "", 0, "", false
	}
	fields := strings.Fields(string(data[closing+1:]))
	if len(fields) < 2 {
		return "", 0, "", false
	}
	ppid, err = strconv.Atoi(fields[1])
	return string(data[open+1 : closing]), ppid, fields[0], err == nil
}

// alive reports whether pid is a process that has not exited (a zombie has).
func alive(pid int) bool {
	_, _, state, ok := procStat(pid)
	return ok && state != "Z"
}

func (p *demoProcess) requireChildren(t *testing.T) map[int]string {
	t.Helper()
	kids := p.children(t)
	var names []string
	for _, n := range kids {
		names = append(names, n)
	}
	for _, want := range []string{"kube-apiserver", "etcd", "entra-emulator", "manager"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Fatalf("no %s among the demo's children %v", want, names)
		}
	}
	return kids
}

// operatorClientSecret reads the secret the emulator gave the operator, to check it is never printed.
func (p *demoProcess) operatorClientSecret(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(p.tmp, "entra-sso-operator-demo-*", "emulator-credentials.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("want one emulator credentials file in %s, got %v (%v)", p.tmp, files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var creds struct {
		Tenants []struct {
			ClientSecret string `json:"clientSecret"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal(data, &creds); err != nil || len(creds.Tenants) == 0 || creds.Tenants[0].ClientSecret == "" {
		t.Fatalf("no client secret in %s: %v", files[0], err)
	}
	return creds.Tenants[0].ClientSecret
}

// waitGone waits until none of pids is alive and every port can be bound again.
func waitGone(t *testing.T, pids map[int]string, ports []int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var left []string
		for pid, name := range pids {
			if alive(pid) {
				left = append(left, fmt.Sprintf("%s (%d)", name, pid))
			}
		}
		for _, port := range ports {
			l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				left = append(left, fmt.Sprintf("port %d", port))
				continue
			}
			_ = l.Close()
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still there 30s after the demo ended: %s", strings.Join(left, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestInterruptLeavesNoProcessPortOrFileBehind(t *testing.T) {
	p := startDemo(t)
	kids := p.requireChildren(t)
	secret := p.operatorClientSecret(t)

	// The kubeconfig works while the demo runs, as the demo tells the user.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := exec.CommandContext(ctx, p.kubectl, "--kubeconfig", p.kubecfg, "--cache-dir", t.TempDir(),
		"get", "appregistrations", "-o", "name").CombinedOutput()
	if err != nil || !strings.Contains(string(got), "appregistration.entra.sso-operator.io/espocrm") {
		t.Fatalf("kubectl get appregistrations with the demo's kubeconfig: %v\n%s", err, got)
	}

	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatal("the demo did not exit within a minute of SIGINT")
	}
	if p.waitErr != nil {
		t.Errorf("the demo stopped by SIGINT after passing exited with %v:\n%s", p.waitErr, p.output())
	}
	waitGone(t, kids, p.ports)
	if entries, _ := os.ReadDir(p.tmp); len(entries) != 0 {
		t.Errorf("the temporary directory still holds %v", entries)
	}
	if _, err := os.Stat(p.kubecfg); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the kubeconfig is still there (%v)", err)
	}
	out := p.output()
	for _, want := range []string{"kubectl apply -k config/samples", "default/espocrm: Ready (Synced)", "pass  OIDC discovery", "AppRegistration(s) Ready", "stopped everything"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Error("the output holds the operator's client secret")
	}
}

func TestKilledDemoTakesItsProcessesAlong(t *testing.T) {
	p := startDemo(t)
	kids := p.requireChildren(t)

	// SIGKILL leaves the demo no chance to clean up: the kernel's parent-death signal must end the
	// children, and the next run must find the run directory unlocked and remove it.
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	waitGone(t, kids, p.ports)

	stale, err := filepath.Glob(filepath.Join(p.tmp, "entra-sso-operator-demo-*"))
	if err != nil || len(stale) != 1 {
		t.Fatalf("want the killed demo's run directory, got %v (%v)", stale, err)
	}
	removed, err := demo.RemoveStaleRunDirs(p.tmp)
	if err != nil || len(removed) != 1 || removed[0] != stale[0] {
		t.Fatalf("RemoveStaleRunDirs = %v, %v; want [%s]", removed, err, stale[0])
	}
	if _, err := os.Stat(stale[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there (%v)", stale[0], err)
	}
}
