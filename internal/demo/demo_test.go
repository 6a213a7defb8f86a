package demo

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

func TestCheckPortsFreeNamesTheTakenPortAndTheSettingToChange(t *testing.T) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", hostPort(0))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	err = checkPortsFree(context.Background(), []namedPort{{taken, "Entra emulator", "--emulator-port / DEMO_EMULATOR_PORT"}})
	if err == nil {
		t.Fatalf("port %d is held, yet reported free", taken)
	}
	for _, want := range []string{strconv.Itoa(taken), "Entra emulator", "DEMO_EMULATOR_PORT", "address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_ = l.Close()
	if err := checkPortsFree(context.Background(), []namedPort{{taken, "Entra emulator", ""}}); err != nil {
		t.Errorf("the released port is reported taken: %v", err)
	}
}

func TestValidateRejectsWhatCannotRun(t *testing.T) {
	valid := Config{Ports: DefaultPorts, Kubeconfig: "kc", TenantID: DefaultTenantID, ReadyTimeout: time.Minute}
	if err := valid.validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	cases := map[string]struct {
		mutate  func(*Config)
		wantErr string
	}{
		"two owners of a port": {func(c *Config) { c.Ports.Emulator = c.Ports.APIServer }, "both listen on port 16443"},
		"port out of range":    {func(c *Config) { c.Ports.Etcd = 70000 }, "etcd (clients) port 70000 is out of range"},
		"no kubeconfig":        {func(c *Config) { c.Kubeconfig = "" }, "kubeconfig"},
		"no timeout":           {func(c *Config) { c.ReadyTimeout = 0 }, "timeout"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := valid
			tc.mutate(&c)
			if err := c.validate(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestSecretDataShowsIdentifiersAndMasksEverythingElse(t *testing.T) {
	data := map[string][]byte{
		secretdata.KeyClientID:              []byte("11111111-2222-3333-4444-555555555555"),
		secretdata.KeyTokenEndpoint:         []byte("https://login.example/t/oauth2/v2.0/token"),
		"AZURE_CLIENT_SECRET":               []byte("s3cr3t-value"),
		"tls.key":                           []byte("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n"),
		"ESPOCRM_CONFIG_OIDC_CLIENT_SECRET": []byte("another-s3cr3t"),
	}
	var out bytes.Buffer
	writeSecretData(&out, data, "")
	got := out.String()
	for _, shown := range []string{"11111111-2222-3333-4444-555555555555", "https://login.example/t/oauth2/v2.0/token"} {
		if !strings.Contains(got, shown) {
			t.Errorf("the summary hides the public value %q:\n%s", shown, got)
		}
	}
	for _, hidden := range []string{"s3cr3t", "PRIVATE KEY", "MIIEv"} {
		if strings.Contains(got, hidden) {
			t.Errorf("the summary shows %q:\n%s", hidden, got)
		}
	}
	if !strings.Contains(got, "AZURE_CLIENT_SECRET") || !strings.Contains(got, "(masked, 12 bytes)") {
		t.Errorf("a masked key should still be listed with its length:\n%s", got)
	}
}

func TestReportFailsWithoutAPassingProof(t *testing.T) {
	obj := entrav1alpha1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Namespace: "crm", Name: "espocrm"}}
	passed := secretproof.Result{Prover: "OIDC discovery", Detail: "ok"}
	skipped := secretproof.Result{Prover: "client credentials", Missing: []string{"AZURE_CLIENT_SECRET"}}
	failed := secretproof.Result{Prover: "OIDC discovery", Err: errors.New("issuer differs")}
	cases := map[string]struct {
		report  sampleReport
		wantErr string
	}{
		"one proof passed, one did not apply": {sampleReport{obj: obj, proofs: []secretproof.Result{passed, skipped}}, ""},
		"a proof failed":                      {sampleReport{obj: obj, proofs: []secretproof.Result{failed, skipped}}, "crm/espocrm: OIDC discovery failed: issuer differs"},
		"no proof applied":                    {sampleReport{obj: obj, proofs: []secretproof.Result{skipped}}, "no proof applies"},
		"no Secret":                           {sampleReport{obj: obj, secretErr: errors.New("not found")}, "reading Secret espocrm: not found"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(tc.report.failures(), "\n")
			if tc.wantErr == "" && got != "" || !strings.Contains(got, tc.wantErr) {
				t.Fatalf("failures = %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func TestRemoveStaleRunDirsKeepsLockedOnes(t *testing.T) {
	root := t.TempDir()
	live, err := newRunDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = live.remove() }()
	dead, err := newRunDir(root)
	if err != nil {
		t.Fatal(err)
	}
	_ = dead.lock.Close() // as the kernel does when the demo holding it dies
	unrelated := filepath.Join(root, "something-else")
	if err := os.Mkdir(unrelated, 0o700); err != nil {
		t.Fatal(err)
	}

	removed, err := RemoveStaleRunDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != dead.path {
		t.Fatalf("removed %v, want only %s", removed, dead.path)
	}
	for _, keep := range []string{live.path, unrelated} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}

func TestKubeconfigPathRefusesAFileTheDemoDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	mine, theirs := filepath.Join(dir, "demo.kubeconfig"), filepath.Join(dir, "config")
	if err := os.WriteFile(mine, []byte(kubeconfigMarker+"apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkKubeconfigPath(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("a new path: %v", err)
	}
	if err := checkKubeconfigPath(mine); err != nil {
		t.Errorf("a kubeconfig of an earlier demo: %v", err)
	}
	if err := checkKubeconfigPath(theirs); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("the user's kubeconfig: err = %v, want a refusal", err)
	}
}

func TestStopEndsTheWholeProcessGroup(t *testing.T) {
	dir := t.TempDir()
	// The shell starts a grandchild and waits: stopping the child must end the grandchild too.
	c, err := startChild(context.Background(), "shell", filepath.Join(dir, "log"), "/bin/sh", []string{"-c", "sleep 300 & echo $! > " + filepath.Join(dir, "pid") + "; wait"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	grandchild := waitForPID(t, filepath.Join(dir, "pid"))
	if err := c.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitExited(t, grandchild)
}

func TestStopKillsAChildThatIgnoresSIGTERM(t *testing.T) {
	dir := t.TempDir()
	c, err := startChild(context.Background(), "stubborn", filepath.Join(dir, "log"), "/bin/sh", []string{"-c", "trap '' TERM; echo ready > " + filepath.Join(dir, "pid") + "; while :; do sleep 1; done"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitForFile(t, filepath.Join(dir, "pid"))
	err = c.stop(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "was killed") {
		t.Fatalf("stop = %v, want it to report the kill", err)
	}
	select {
	case <-c.done:
	default:
		t.Fatal("stop returned before the child exited")
	}
}

func waitForFile(t *testing.T, path string) []byte {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 && data[len(data)-1] == '\n' {
			return data
		}
	}
	t.Fatalf("%s was not written", path)
	return nil
}

func waitForPID(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(string(waitForFile(t, path))))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitExited waits until pid is gone or a zombie (its parent, the shell, is gone and may not be reaped
// by this container's init).
func waitExited(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(stat), ") Z ") {
			return
		}
	}
	t.Fatalf("process %d is still running", pid)
}
