package demo

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// operatorUserName is the Kubernetes user the manager runs as. It is bound to the manager's generated
// ClusterRole only (config/rbac/role.yaml), as a deployed manager's ServiceAccount is, so a permission
// missing from the RBAC markers fails the demo instead of hiding behind a cluster admin.
const operatorUserName = "entra-sso-operator"

// The control plane's binaries, as envtest and setup-envtest name them.
const (
	kubeAPIServerBinary = "kube-apiserver"
	etcdBinary          = "etcd"
)

// controlPlaneTimeout bounds kube-apiserver's and etcd's start and stop; a loaded 2-core machine
// needs more than envtest's 20 s default for the first start.
const controlPlaneTimeout = 90 * time.Second

// controlPlane is kube-apiserver and etcd, started by envtest on fixed loopback ports.
type controlPlane struct {
	env *envtest.Environment
	// admin is the cluster admin's client configuration and kubeconfig (the user's).
	admin           *rest.Config
	adminKubeconfig []byte
	// operatorKubeconfig authenticates as operatorUserName.
	operatorKubeconfig []byte
	logPath            string
	log                *os.File
}

// startControlPlane starts etcd and kube-apiserver with their data, certificates and logs in run.
func startControlPlane(cfg Config, run *runDir) (*controlPlane, error) {
	binDir, shimEnv, err := installControlPlaneShims(run.file("control-plane-bin"), cfg.AssetsDir)
	if err != nil {
		return nil, err
	}
	for k, v := range shimEnv {
		// envtest starts its processes with the demo's environment; the shims read these from it.
		if err := os.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	certDir, dataDir := run.file("kube-apiserver"), run.file("etcd")
	for _, d := range []string{certDir, dataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	logPath := run.file("control-plane.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the control plane log: %w", err)
	}
	etcd := &envtest.Etcd{
		Path:    filepath.Join(binDir, etcdBinary),
		DataDir: dataDir,
		URL:     &url.URL{Scheme: "http", Host: hostPort(cfg.Ports.Etcd)},
		Out:     logFile,
		Err:     logFile,
	}
	// envtest picks a random peer port; a fixed one can be checked before starting like the others.
	etcd.Configure().Set("listen-peer-urls", "http://"+hostPort(cfg.Ports.EtcdPeer))
	apiServer := &envtest.APIServer{
		Path:    filepath.Join(binDir, kubeAPIServerBinary),
		CertDir: certDir,
		SecureServing: envtest.SecureServing{
			ListenAddr: envtest.ListenAddr{Address: loopback, Port: strconv.Itoa(cfg.Ports.APIServer)},
		},
		Out: logFile,
		Err: logFile,
	}
	env := &envtest.Environment{
		ControlPlane:             envtest.ControlPlane{APIServer: apiServer, Etcd: etcd},
		ControlPlaneStartTimeout: controlPlaneTimeout,
		ControlPlaneStopTimeout:  controlPlaneTimeout,
	}
	admin, err := env.Start()
	cp := &controlPlane{env: env, admin: admin, adminKubeconfig: env.KubeConfig, logPath: logPath, log: logFile}
	if err != nil {
		_ = cp.stop()
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w\n%s", cfg.AssetsDir, err, indent(fileTail(logPath, 20), "    "))
	}
	operator, err := env.ControlPlane.AddUser(envtest.User{Name: operatorUserName}, nil)
	if err == nil {
		cp.operatorKubeconfig, err = operator.KubeConfig()
	}
	if err != nil {
		_ = cp.stop()
		return nil, fmt.Errorf("provisioning the operator's Kubernetes user: %w", err)
	}
	return cp, nil
}

// stop stops kube-apiserver, then etcd, and closes their log.
func (cp *controlPlane) stop() error {
	err := cp.env.Stop()
	_ = cp.log.Close()
	return err
}
