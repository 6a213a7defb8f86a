package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// namedPort is a port with what listens on it and the setting that changes it.
type namedPort struct {
	port    int
	owner   string
	setting string
}

// loopback is the only address the demo listens on: nothing it starts is reachable from elsewhere.
const loopback = "127.0.0.1"

func hostPort(port int) string { return net.JoinHostPort(loopback, strconv.Itoa(port)) }

// checkPortsFree fails, naming each taken port, its would-be owner and how to pick another, when a
// port the demo needs is in use. Checking first turns kube-apiserver's "timeout waiting for process"
// into a message that says what to do.
func checkPortsFree(ctx context.Context, ports []namedPort) error {
	var errs []error
	for _, p := range ports {
		l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", hostPort(p.port))
		if err != nil {
			errs = append(errs, fmt.Errorf("port %d for the %s is taken (%w): stop what holds it (another demo?) or set %s",
				p.port, p.owner, unwrapSyscall(err), p.setting))
			continue
		}
		_ = l.Close()
	}
	return errors.Join(errs...)
}

// unwrapSyscall keeps only the system's reason ("address already in use") of a listen error.
func unwrapSyscall(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err
	}
	return err
}
