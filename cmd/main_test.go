/*
Copyright 2026 The entra-sso-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/yaml"
)

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(newFlagSet(), nil)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if cfg.metricsAddr != "0" {
		t.Errorf("metricsAddr = %q, want metrics off (\"0\") by default", cfg.metricsAddr)
	}
	if cfg.probeAddr != ":8081" {
		t.Errorf("probeAddr = %q, want :8081", cfg.probeAddr)
	}
	if !cfg.secureMetrics {
		t.Error("secureMetrics = false, want true by default")
	}
	if cfg.enableHTTP2 {
		t.Error("enableHTTP2 = true, want false by default")
	}
	if cfg.enableLeaderElection {
		t.Error("enableLeaderElection = true, want false by default")
	}
	// A burst of new objects is bounded by Graph's write quota (20 writes/s for one application in a
	// tenant, two per object), never by the Kubernetes client (about three requests per object).
	if cfg.kubeQPS < 3*10 || cfg.kubeBurst < int(cfg.kubeQPS) {
		t.Errorf("--kube-api-qps %v / --kube-api-burst %d would hold back new objects", cfg.kubeQPS, cfg.kubeBurst)
	}
	if cfg.deltaInterval <= 0 || cfg.backstopPeriod < 24*time.Hour {
		t.Errorf("delta query is off (%s) or the backstop runs more than daily (%s) by default", cfg.deltaInterval, cfg.backstopPeriod)
	}
}

func TestParseFlagsDeploymentArgs(t *testing.T) {
	// The args config/default gives the Deployment.
	cfg, err := parseFlags(newFlagSet(), []string{
		"--metrics-bind-address=:8443", "--leader-elect", "--health-probe-bind-address=:8081", "--zap-log-level=debug",
	})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if cfg.metricsAddr != ":8443" || !cfg.enableLeaderElection || cfg.probeAddr != ":8081" {
		t.Errorf("parseFlags = %+v", cfg)
	}
	if cfg.zap.Level == nil {
		t.Error("--zap-log-level was not bound to the flag set")
	}
}

func TestParseFlagsRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"stray-argument"}, {"--delta-interval=-1s"}, {"--backstop-period=0"},
		{"--kube-api-qps=0"}, {"--kube-api-burst=0"}, {"--watch-namespaces=Not_A_Namespace"},
		{"--watch-namespaces=crm", "--default-connection=contoso"}} {
		if _, err := parseFlags(newFlagSet(), args); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

func TestWatchNamespacesLimitTheCache(t *testing.T) {
	cfg, err := parseFlags(newFlagSet(), []string{"--watch-namespaces=crm, mail", "--watch-namespaces=voip"})
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(cacheOptions(cfg).DefaultNamespaces))
	if want := []string{"crm", "mail", "voip"}; !slices.Equal(got, want) {
		t.Errorf("cached namespaces %v, want %v", got, want)
	}
	if all, _ := parseFlags(newFlagSet(), nil); cacheOptions(all).DefaultNamespaces != nil {
		t.Error("without --watch-namespaces the cache is limited to some namespaces")
	}
}

func TestMetricsOptions(t *testing.T) {
	tests := []struct {
		name       string
		cfg        config
		wantFilter bool
		wantProtos []string
	}{
		{name: "secure without HTTP/2", cfg: config{secureMetrics: true}, wantFilter: true, wantProtos: []string{"http/1.1"}},
		{name: "plain HTTP", cfg: config{}, wantProtos: []string{"http/1.1"}},
		{name: "HTTP/2 enabled", cfg: config{secureMetrics: true, enableHTTP2: true}, wantFilter: true, wantProtos: []string{"h2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := metricsOptions(tt.cfg)
			if got := opts.FilterProvider != nil; got != tt.wantFilter {
				t.Errorf("authn/authz filter set = %v, want %v", got, tt.wantFilter)
			}
			// Apply the options the way the metrics server does, starting from its default.
			tlsCfg := &tls.Config{NextProtos: []string{"h2"}}
			for _, o := range opts.TLSOpts {
				o(tlsCfg)
			}
			if !slices.Equal(tlsCfg.NextProtos, tt.wantProtos) {
				t.Errorf("NextProtos = %q, want %q", tlsCfg.NextProtos, tt.wantProtos)
			}
		})
	}
}

func TestSetupControllersWrapsErrors(t *testing.T) {
	errBoom := errors.New("boom")
	saved := reconcilers
	t.Cleanup(func() { reconcilers = saved })

	var ran []string
	reconcilers = []controllerSetup{
		{name: "first", setup: func(ctrl.Manager, config) error { ran = append(ran, "first"); return nil }},
		{name: "broken", setup: func(ctrl.Manager, config) error { ran = append(ran, "broken"); return errBoom }},
		{name: "never", setup: func(ctrl.Manager, config) error { ran = append(ran, "never"); return nil }},
	}
	err := setupControllers(nil, config{})
	if !errors.Is(err, errBoom) {
		t.Fatalf("setupControllers error = %v, want it to wrap %v", err, errBoom)
	}
	if !slices.Equal(ran, []string{"first", "broken"}) {
		t.Errorf("setups run = %q, want the ones up to the failure", ran)
	}
}

// TestShippedDeploymentFitsTheManager reads config/manager/manager.yaml as a user would apply it: its
// args parse, the kubelet waits longer than the manager's graceful shutdown before killing it, and
// the namespace enforces the restricted Pod Security profile.
func TestShippedDeploymentFitsTheManager(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "config", "manager", "manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var deployment *appsv1.Deployment
	var namespace *corev1.Namespace
	for _, doc := range strings.Split(string(raw), "\n---") {
		var kind struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &kind); err != nil {
			t.Fatal(err)
		}
		switch kind.Kind {
		case "Deployment":
			deployment = &appsv1.Deployment{}
			err = yaml.UnmarshalStrict([]byte(doc), deployment)
		case "Namespace":
			namespace = &corev1.Namespace{}
			err = yaml.UnmarshalStrict([]byte(doc), namespace)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if deployment == nil || namespace == nil {
		t.Fatal("manager.yaml holds no Deployment or no Namespace")
	}
	container := deployment.Spec.Template.Spec.Containers[0]
	cfg, err := parseFlags(newFlagSet(), container.Args)
	if err != nil {
		t.Fatalf("the Deployment's args do not parse: %v", err)
	}
	grace := deployment.Spec.Template.Spec.TerminationGracePeriodSeconds
	if grace == nil || time.Duration(*grace)*time.Second <= cfg.shutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %v is not longer than --graceful-shutdown-timeout %s", grace, cfg.shutdownTimeout)
	}
	limit := container.Resources.Limits.Memory()
	found := false
	for _, e := range container.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		found = true
		q, err := resource.ParseQuantity(strings.TrimSuffix(e.Value, "B"))
		if err != nil {
			t.Fatalf("GOMEMLIMIT %q: %v", e.Value, err)
		}
		if limit.IsZero() || q.Cmp(*limit) >= 0 {
			t.Errorf("GOMEMLIMIT %s is not below the memory limit %s", e.Value, limit)
		}
	}
	if !found {
		t.Error("the Deployment sets no GOMEMLIMIT")
	}
	if got := namespace.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("the namespace enforces Pod Security %q, want restricted", got)
	}
}

// syncing is a cache whose first lists arrive when synced says so.
type syncing struct {
	cache.Cache
	synced bool
}

func (s syncing) WaitForCacheSync(context.Context) bool { return s.synced }

func TestReadyOnlyOnceTheCachesSynced(t *testing.T) {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/readyz", nil)
	if err := cachesSynced(syncing{})(req); err == nil {
		t.Error("ready before the caches synced")
	}
	if err := cachesSynced(syncing{synced: true})(req); err != nil {
		t.Errorf("not ready with synced caches: %v", err)
	}
}

func TestReportingInstanceIsThePodElseTheHost(t *testing.T) {
	t.Setenv(podNameEnv, "entra-sso-operator-7d9f-abcde")
	if got := reportingInstance(); got != "entra-sso-operator-7d9f-abcde" {
		t.Errorf("with %s set: %q, want the pod's name", podNameEnv, got)
	}
	t.Setenv(podNameEnv, "")
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname:", err)
	}
	if got := reportingInstance(); got != host {
		t.Errorf("without %s: %q, want the hostname %q", podNameEnv, got, host)
	}
}
