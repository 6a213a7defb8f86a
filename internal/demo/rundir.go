package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// runDirPrefix names the demo's run directories in the temporary directory.
const runDirPrefix = "entra-sso-operator-demo-"

// runDirLockName is the file a running demo holds an exclusive lock on inside its run directory. The
// kernel drops the lock when the demo dies, however it dies, which is how a later run tells a
// directory left by a killed demo from one in use.
const runDirLockName = "run.lock"

// runDir is the directory holding everything a run writes besides the user's kubeconfig.
type runDir struct {
	path string
	lock *os.File
}

// newRunDir makes and locks a fresh run directory under root ("" is the system's temporary directory).
func newRunDir(root string) (*runDir, error) {
	path, err := os.MkdirTemp(root, runDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating the run directory: %w", err)
	}
	lock, err := lockFile(filepath.Join(path, runDirLockName), true)
	if err != nil {
		_ = os.RemoveAll(path)
		return nil, fmt.Errorf("locking the run directory: %w", err)
	}
	return &runDir{path: path, lock: lock}, nil
}

// file returns the path of name inside the run directory.
func (d *runDir) file(name string) string { return filepath.Join(d.path, name) }

// remove deletes the run directory and everything in it.
func (d *runDir) remove() error {
	err := os.RemoveAll(d.path)
	_ = d.lock.Close()
	return err
}

// lockFile opens (creating when create is set) and exclusively locks the file at path without
// waiting; it fails with syscall.EWOULDBLOCK when another process holds the lock.
func lockFile(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// RemoveStaleRunDirs deletes the run directories under root ("" is the system's temporary directory)
// that no running demo holds: those of demos that were killed before they could clean up. It returns
// the directories it removed.
func RemoveStaleRunDirs(root string) ([]string, error) {
	if root == "" {
		root = os.TempDir()
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), runDirPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		lock, err := lockFile(filepath.Join(dir, runDirLockName), false)
		if err != nil {
			// Held by a running demo, or not locked yet by one that is starting: leave it.
			if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("checking %s: %w", dir, err))
			}
			continue
		}
		err = os.RemoveAll(dir)
		_ = lock.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", dir, err))
			continue
		}
		removed = append(removed, dir)
	}
	return removed, errors.Join(errs...)
}
