package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// childProcAttr puts a child in a process group of its own, so a Ctrl-C in the terminal reaches only
// the demo (which then stops the children in order) and stop() can signal all of a child's
// descendants at once; and it makes the kernel kill the child when the demo dies, however it dies.
//
// Linux sends the parent-death signal when the *thread* that started the child exits, not the
// process. Go ends an OS thread only when a goroutine locked to it returns, and the demo locks none,
// so here the two coincide.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// controlPlaneShimNames are the binaries envtest starts, which the shim stands in for.
var controlPlaneShimNames = []string{kubeAPIServerBinary, etcdBinary}

// installControlPlaneShims makes dir hold kube-apiserver and etcd links to the demo's own binary and
// returns the directory to start them from and the environment that makes those links exec the real
// binaries from assetsDir.
//
// envtest starts kube-apiserver and etcd in their own process groups but sets no parent-death signal,
// so a demo killed with SIGKILL would leave them running. A prctl before exec is the only way to add
// one to a process someone else starts; the setting survives exec.
func installControlPlaneShims(dir, assetsDir string) (string, map[string]string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("finding the demo's own binary: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	for _, name := range controlPlaneShimNames {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			return "", nil, fmt.Errorf("linking the %s shim: %w", name, err)
		}
	}
	return dir, map[string]string{shimTargetDirEnv: assetsDir, shimParentPIDEnv: strconv.Itoa(os.Getpid())}, nil
}

// ExecControlPlaneShim turns this process into kube-apiserver or etcd when the demo started it
// through a shim link: it asks the kernel to kill it when its parent (the demo) dies, then execs the
// real binary in its place (same PID, so envtest's signals reach the real process). It returns, doing
// nothing, in every other case; main calls it first.
func ExecControlPlaneShim() {
	targetDir := os.Getenv(shimTargetDirEnv)
	name := filepath.Base(os.Args[0])
	if targetDir == "" || !isShimName(name) {
		return
	}
	if err := execShim(targetDir, name); err != nil {
		fmt.Fprintf(os.Stderr, "demo shim for %s: %v\n", name, err)
		os.Exit(127)
	}
}

func isShimName(name string) bool {
	for _, n := range controlPlaneShimNames {
		if n == name {
			return true
		}
	}
	return false
}

func execShim(targetDir, name string) error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		return fmt.Errorf("setting the parent-death signal: %w", errno)
	}
	// The demo may have died between starting this process and the prctl above; the signal would then
	// never come, so do not start at all.
	if want := os.Getenv(shimParentPIDEnv); want != strconv.Itoa(os.Getppid()) {
		return errors.New("the demo that started this process is gone")
	}
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !hasEnvKey(kv, shimTargetDirEnv) && !hasEnvKey(kv, shimParentPIDEnv) {
			env = append(env, kv)
		}
	}
	target := filepath.Join(targetDir, name)
	return syscall.Exec(target, append([]string{target}, os.Args[1:]...), env)
}
