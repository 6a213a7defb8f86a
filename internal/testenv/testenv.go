// Package testenv starts the envtest control plane (kube-apiserver + etcd) with this project's CRDs
// for tests, finding the binaries the way `make test` provides them.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// Root is the repository root, found from this file's location so tests in any package agree.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir returns the directory holding kube-apiserver and etcd: KUBEBUILDER_ASSETS when set (as
// `make test` does), else bin/k8s/current, which `make envtest` links.
func AssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dir := filepath.Join(Root(), "bin", "k8s", "current")
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", errors.New("no envtest binaries: run `make envtest` (or `make test`, which does it) first")
	}
	return dir, nil
}

// Environment is a running control plane with the AppRegistration CRD installed.
type Environment struct {
	*envtest.Environment
	Config *rest.Config
}

// Start starts kube-apiserver and etcd and installs the CRDs from config/crd/bases.
func Start() (*Environment, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	if err := entrav1alpha1.AddToScheme(scheme.Scheme); err != nil {
		return nil, fmt.Errorf("registering the API types: %w", err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(Root(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	return &Environment{Environment: env, Config: cfg}, nil
}
