package main

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"time"

	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// podNameEnv names the pod the manager runs in (the Deployment sets it from the downward API).
const podNameEnv = "POD_NAME"

// reportingInstance names this replica in the Events it writes: its pod, as in the Lease, or
// else the hostname (in a pod, the pod's name too).
func reportingInstance() string {
	if pod := os.Getenv(podNameEnv); pod != "" {
		return pod
	}
	host, _ := os.Hostname()
	// The API server refuses an Event without a reportingInstance.
	return cmp.Or(host, eventsController)
}

// inClusterNamespaceFile holds the pod's namespace in a cluster.
const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// podLeaseLock returns a Lease lock whose holder identity is the pod's name, or nil when the
// manager does not know its pod (then controller-runtime's default identity, hostname plus a
// random suffix, applies).
//
// The default identity is new on every start, so a manager that crashed or was OOM-killed and
// restarted by the kubelet in the same pod waits out its own old lease (15 s) before it works
// again. A pod's name is unique while the pod lives and stays the same across its container's
// restarts: the restarted manager recognizes the lease as its own and goes on at once, while a
// manager in any other pod still waits for the lease to expire or be released.
func podLeaseLock(cfg *rest.Config, namespace string) (resourcelock.Interface, error) {
	pod := os.Getenv(podNameEnv)
	if pod == "" {
		return nil, nil
	}
	if namespace == "" {
		raw, err := os.ReadFile(inClusterNamespaceFile)
		if err != nil {
			return nil, fmt.Errorf("finding the leader election namespace (set --leader-election-namespace outside a cluster): %w", err)
		}
		namespace = strings.TrimSpace(string(raw))
	}
	lockCfg := rest.CopyConfig(cfg)
	// As controller-runtime does: one hung request must not outlast the renew deadline (10 s).
	lockCfg.Timeout = 5 * time.Second
	core, err := corev1client.NewForConfig(lockCfg)
	if err != nil {
		return nil, err
	}
	coordination, err := coordinationv1client.NewForConfig(lockCfg)
	if err != nil {
		return nil, err
	}
	return resourcelock.New(resourcelock.LeasesResourceLock, namespace, leaderElectionID, core, coordination,
		resourcelock.ResourceLockConfig{Identity: pod})
}
