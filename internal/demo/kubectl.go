package demo

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// kubectlTimeout bounds one kubectl command.
const kubectlTimeout = 2 * time.Minute

// kubectl runs the kubectl binary as the cluster admin, the way the user would in another terminal.
type kubectl struct {
	path       string
	kubeconfig string
	env        []string
	// dir is where relative paths in arguments (config/samples) are resolved.
	dir string
	// cacheDir keeps kubectl's discovery and HTTP caches in the run directory: in ~/.kube/cache they
	// would outlive the demo, and describe a cluster that no longer exists at a reused host:port.
	cacheDir string
}

// run runs kubectl with args and returns its combined output; a failure carries that output.
func (k kubectl) run(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.path, append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", k.cacheDir}, args...)...)
	cmd.Env = k.env
	cmd.Dir = k.dir
	// Its own process group, like every child: a Ctrl-C reaches the demo only, which then cancels ctx.
	cmd.SysProcAttr = childProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, indent(out.String(), "    "))
	}
	return out.String(), nil
}
