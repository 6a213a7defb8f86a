//go:build !linux

package demo

import "syscall"

// childProcAttr puts a child in a process group of its own, so a Ctrl-C in the terminal reaches only
// the demo (which then stops the children in order) and stop() can signal all of a child's
// descendants at once. Only Linux has a parent-death signal: elsewhere a demo killed with SIGKILL
// leaves its children running.
func childProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// installControlPlaneShims starts kube-apiserver and etcd straight from assetsDir: without a
// parent-death signal there is nothing for a shim to add.
func installControlPlaneShims(_, assetsDir string) (string, map[string]string, error) {
	return assetsDir, nil, nil
}

// ExecControlPlaneShim does nothing outside Linux.
func ExecControlPlaneShim() {}
