package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// The environment through which the demo asks a re-executed copy of itself to become kube-apiserver
// or etcd (see ExecControlPlaneShim).
const (
	shimTargetDirEnv = "ENTRA_DEMO_SHIM_TARGET_DIR"
	shimParentPIDEnv = "ENTRA_DEMO_SHIM_PARENT_PID"
)

// child is a long-running process the demo started (the emulator, the manager), logging to a file.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	// done is closed when the process has exited; err then holds how it ended.
	done chan struct{}
	err  error
}

// startChild starts path with args and env in a process group of its own that dies with the demo
// (childProcAttr), with stdout and stderr going to logPath. The child outlives ctx's cancellation:
// Run stops the children one by one, in order, with stop.
func startChild(ctx context.Context, name, logPath, path string, args, env []string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the %s (%s): %w", name, path, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, log: logFile, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// exitError describes how the process ended, for a child that exited while it should have run.
func (c *child) exitError() error {
	if c.err == nil {
		return fmt.Errorf("the %s exited", c.name)
	}
	return fmt.Errorf("the %s exited: %w", c.name, c.err)
}

// stop asks the child's whole process group to terminate (SIGTERM, what a Kubernetes kubelet sends),
// and kills the group if it has not exited within grace.
func (c *child) stop(grace time.Duration) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	pgid := -c.cmd.Process.Pid
	if err := syscall.Kill(pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping the %s: %w", c.name, err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing the %s: %w", c.name, err)
	}
	<-c.done
	return fmt.Errorf("the %s did not stop within %s of SIGTERM and was killed", c.name, grace)
}

// logTail returns the last n lines of the child's log, to show why it failed.
func (c *child) logTail(n int) string { return fileTail(c.logPath, n) }

// fileTail returns the last n lines of the file at path, or a note saying why it cannot.
func fileTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// indent prefixes every line of s with prefix.
func indent(s, prefix string) string {
	if s == "" {
		return s
	}
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// kill ends the child's process group at once (SIGKILL), as a crash or an OOM kill would, and
// waits for it to be gone.
func (c *child) kill() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	if err := syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing the %s: %w", c.name, err)
	}
	<-c.done
	return nil
}
