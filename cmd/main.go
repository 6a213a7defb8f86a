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

// Command manager runs the entra-sso-operator controller manager.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	// Import all Kubernetes client auth plugins (e.g. OIDC, exec) so that `make run`
	// works against any cluster in the developer's kubeconfig.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/eventrecorder"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph/msgraph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metricsauth"
	"github.com/entra-sso-operator/entra-sso-operator/internal/mirror"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
)

// leaderElectionID names the Lease that replicas of the manager compete for.
const leaderElectionID = "entra-sso-operator.sso-operator.io"

// eventsController is the reportingController of the operator's Events.
const eventsController = "entra-sso-operator"

var setupLog = ctrl.Log.WithName("setup")

// config holds everything the manager is configured with on its command line.
// Reconciler and Microsoft Graph settings (cloud, tenant, rate limits) belong here too.
type config struct {
	// metricsAddr is the metrics listen address; "0" disables the metrics endpoint.
	metricsAddr string
	// metricsCertDir holds tls.crt and tls.key for the metrics endpoint (e.g. from cert-manager);
	// without them the endpoint serves a self-signed certificate generated in memory.
	metricsCertDir string
	probeAddr      string
	// secureMetrics serves metrics over HTTPS, authenticated and authorized against the API server.
	secureMetrics        bool
	enableLeaderElection bool
	// leaderElectionNamespace holds the Lease; empty means the pod's own namespace.
	leaderElectionNamespace string
	// enableHTTP2 is off by default: HTTP/2 Rapid Reset and Stream Cancellation
	// (GHSA-qppj-fm5r-hxr3, GHSA-4374-p667-p6c8) make it a liability for the metrics server.
	enableHTTP2 bool
	zap         zap.Options

	// cloudName picks the national cloud (AzurePublic, AzureUSGovernment, AzureUSGovernmentDoD,
	// AzureChina); authorityHost and graphEndpoint override its hosts (private endpoint, proxy, emulator).
	cloudName     string
	authorityHost string
	graphEndpoint string
	// caBundle is a PEM file of extra CAs to trust for Graph and the authority.
	caBundle string
	// resyncPeriod is how often an object in sync is compared with Entra ID again.
	resyncPeriod time.Duration
	// graphWriteQPS and graphWriteBurst pace writes to Graph per tenant, below its write quotas.
	graphWriteQPS   float64
	graphWriteBurst int
	// maxConcurrentReconciles bounds parallel reconciles of AppRegistrations.
	maxConcurrentReconciles int
	// graphTimeout bounds one Graph request, tokenTimeout one token request, reconcileTimeout one
	// reconcile: no wait is unbounded.
	graphTimeout     time.Duration
	tokenTimeout     time.Duration
	reconcileTimeout time.Duration
	// shutdownTimeout is how long the manager lets running reconciles finish on SIGTERM. The
	// Deployment's terminationGracePeriodSeconds must be longer.
	shutdownTimeout time.Duration
	// consentMode says whether the operator reads or grants admin consent; consentPolicy is what it
	// may grant (--consent-allow), in grant mode only.
	consentMode   controllers.ConsentMode
	consentPolicy permissions.Policy
	// deltaInterval is the pause between delta polls of the tenant; 0 turns delta query and the
	// mirror off (every reconcile reads Graph). backstopPeriod is how often each object is still
	// verified against Graph itself.
	deltaInterval  time.Duration
	backstopPeriod time.Duration
	// allowAdoption is the policy of the operator's own tenant on spec.adopt; an EntraConnection
	// has its own.
	allowAdoption bool
	// kubeQPS and kubeBurst bound the manager's requests to the Kubernetes API server.
	kubeQPS   float64
	kubeBurst int
	// pprofAddr serves net/http/pprof; "0" (the default) disables it.
	pprofAddr string
	// defaultConnection names the EntraConnection AppRegistrations without spec.connection use;
	// empty means the operator's own tenant (its environment identity).
	defaultConnection string
	// operatorNamespace holds the Secrets EntraConnections refer to.
	operatorNamespace string
	// watchNamespaces, when set, are the only namespaces the manager reads and writes: it then
	// needs a Role in each and no cluster-wide permission, and uses no EntraConnection.
	watchNamespaces []string
}

// parseFlags reads the manager's configuration from args (without the program name).
func parseFlags(fs *flag.FlagSet, args []string) (config, error) {
	var cfg config
	fs.StringVar(&cfg.metricsAddr, "metrics-bind-address", "0", "The address the metrics endpoint binds to. "+
		"Use :8443 for HTTPS or :8080 for HTTP, or leave as 0 to disable the metrics service.")
	fs.StringVar(&cfg.metricsCertDir, "metrics-cert-path", "",
		"The directory that contains the metrics server certificate (tls.crt) and key (tls.key). "+
			"Empty means a self-signed certificate is generated at start-up.")
	fs.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	fs.BoolVar(&cfg.enableLeaderElection, "leader-elect", false,
		"Enable leader election for controller manager. "+
			"Enabling this will ensure there is only one active controller manager.")
	fs.StringVar(&cfg.leaderElectionNamespace, "leader-election-namespace", "",
		"The namespace of the leader election Lease; empty means the pod's own (required when running outside the cluster).")
	fs.BoolVar(&cfg.secureMetrics, "metrics-secure", true,
		"If set, the metrics endpoint is served securely via HTTPS. Use --metrics-secure=false to use HTTP instead.")
	fs.BoolVar(&cfg.enableHTTP2, "enable-http2", false,
		"If set, HTTP/2 will be enabled for the metrics server.")
	fs.StringVar(&cfg.cloudName, "cloud", cloud.Public.Name,
		"The Azure cloud: AzurePublic, AzureUSGovernment, AzureUSGovernmentDoD or AzureChina.")
	fs.StringVar(&cfg.authorityHost, "authority-host", "",
		"Override the cloud's Microsoft Entra authority host (https URL), e.g. for the Entra emulator.")
	fs.StringVar(&cfg.graphEndpoint, "graph-endpoint", "",
		"Override the cloud's Microsoft Graph endpoint (https URL, without /v1.0), e.g. for the Entra emulator.")
	fs.StringVar(&cfg.caBundle, "ca-bundle", "",
		"A PEM file of extra CA certificates to trust for Graph and the authority (emulator, TLS-inspecting proxy).")
	fs.DurationVar(&cfg.resyncPeriod, "resync-period", 10*time.Minute,
		"How often an AppRegistration in sync is compared with Entra ID again, to put back changes made outside the operator.")
	// Graph allows 3,000 application writes per 150 s per app and tenant and 18,000 per 5 min per
	// tenant (60/s); 10/s with a burst of 20 stays well below both while leaving room for other tools.
	fs.Float64Var(&cfg.graphWriteQPS, "graph-write-qps", 10,
		"Writes per second the operator sends to Microsoft Graph per tenant.")
	fs.IntVar(&cfg.graphWriteBurst, "graph-write-burst", 20,
		"Burst of writes the operator may send to Microsoft Graph per tenant.")
	fs.IntVar(&cfg.maxConcurrentReconciles, "max-concurrent-reconciles", 8,
		"How many AppRegistrations are reconciled in parallel.")
	fs.DurationVar(&cfg.graphTimeout, "graph-timeout", msgraph.DefaultRequestTimeout,
		"How long one Microsoft Graph request may take, retries included.")
	fs.DurationVar(&cfg.tokenTimeout, "token-timeout", msgraph.DefaultTokenTimeout,
		"How long one token request to the Entra authority may take.")
	fs.DurationVar(&cfg.reconcileTimeout, "reconcile-timeout", controllers.DefaultReconcileTimeout,
		"How long one reconcile of an AppRegistration may take.")
	fs.DurationVar(&cfg.shutdownTimeout, "graceful-shutdown-timeout", 30*time.Second,
		"How long running reconciles may finish after SIGTERM; keep terminationGracePeriodSeconds longer.")
	consentMode := string(controllers.ConsentOff)
	fs.StringVar(&consentMode, "consent-mode", consentMode,
		"What the operator does about admin consent for declared permissions: off (status gives an administrator "+
			"the admin consent URL; no extra Graph permission), verify (also reads consent and reports it; needs "+
			"Directory.Read.All), or grant (grants what spec.adminConsent asks and --consent-allow allows; needs "+
			"DelegatedPermissionGrant.ReadWrite.All and AppRoleAssignment.ReadWrite.All).")
	var allow []string
	fs.Func("consent-allow",
		"Permissions the operator may grant in --consent-mode=grant, as comma-separated RESOURCE:KIND:PERMISSION "+
			"rules (repeatable): RESOURCE MicrosoftGraph, ExchangeOnline or an application ID, KIND delegated or "+
			"application, PERMISSION a name or *. Example: MicrosoftGraph:application:User.Read.All,MicrosoftGraph:delegated:*",
		func(v string) error { allow = append(allow, v); return nil })
	// One poll is two Graph reads for the whole tenant (applications, service principals), however
	// many objects there are; drift is put back within about this long.
	fs.DurationVar(&cfg.deltaInterval, "delta-interval", 2*time.Minute,
		"How often the tenant's applications and service principals are polled for changes (Graph delta query); 0 turns delta query off and every reconcile reads Graph.")
	fs.DurationVar(&cfg.backstopPeriod, "backstop-period", controllers.DefaultBackstopPeriod,
		"How often each AppRegistration is verified against Graph itself while delta query keeps the operator's mirror of the tenant.")
	// Graph lets one application make at most 3,000 writes per 150 s in a tenant (20/s), which is
	// 10 new objects per second at two writes each; each new object costs about three Kubernetes
	// requests. 50/100 never holds that back; the client-go default (20/30) did.
	fs.Float64Var(&cfg.kubeQPS, "kube-api-qps", 50, "Requests per second the manager sends to the Kubernetes API server.")
	fs.IntVar(&cfg.kubeBurst, "kube-api-burst", 100, "Burst of requests the manager may send to the Kubernetes API server.")
	fs.StringVar(&cfg.pprofAddr, "pprof-bind-address", "0", "The address net/http/pprof listens on, e.g. 127.0.0.1:6060; 0 disables it.")
	fs.StringVar(&cfg.defaultConnection, "default-connection", "",
		"The EntraConnection AppRegistrations without spec.connection use; empty means the operator's own tenant (AZURE_TENANT_ID and its credential).")
	operatorNamespace := os.Getenv("POD_NAMESPACE")
	if operatorNamespace == "" {
		operatorNamespace = "entra-sso-operator-system"
	}
	fs.StringVar(&cfg.operatorNamespace, "operator-namespace", operatorNamespace,
		"The namespace holding the credential Secrets EntraConnections refer to; defaults to POD_NAMESPACE.")
	fs.BoolVar(&cfg.allowAdoption, "allow-adoption", false,
		"Let AppRegistrations that use the operator's own tenant adopt existing applications (spec.adopt). "+
			"An EntraConnection decides this in its own policy.allowAdoption.")
	fs.Func("watch-namespaces",
		"Comma-separated namespaces the operator watches, alone (repeatable); it then needs only a Role in each "+
			"(config/namespaced) and uses its own tenant, not EntraConnections. Empty: every namespace.",
		func(v string) error {
			for _, ns := range strings.Split(v, ",") {
				if ns = strings.TrimSpace(ns); ns == "" {
					continue
				}
				if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
					return fmt.Errorf("%q is not a namespace name: %s", ns, strings.Join(errs, "; "))
				}
				cfg.watchNamespaces = append(cfg.watchNamespaces, ns)
			}
			return nil
		})
	cfg.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := parseConsentFlags(&cfg, consentMode, allow); err != nil {
		return config{}, err
	}
	if cfg.graphWriteQPS <= 0 || cfg.graphWriteBurst < 1 {
		return config{}, errors.New("--graph-write-qps must be positive and --graph-write-burst at least 1")
	}
	if cfg.graphTimeout <= 0 || cfg.tokenTimeout <= 0 || cfg.reconcileTimeout <= 0 || cfg.shutdownTimeout <= 0 {
		return config{}, errors.New("--graph-timeout, --token-timeout, --reconcile-timeout and --graceful-shutdown-timeout must be positive")
	}
	if cfg.deltaInterval < 0 || cfg.backstopPeriod <= 0 || cfg.kubeQPS <= 0 || cfg.kubeBurst < 1 {
		return config{}, errors.New("--delta-interval must not be negative, --backstop-period and --kube-api-qps must be positive, --kube-api-burst at least 1")
	}
	if len(cfg.watchNamespaces) > 0 && cfg.defaultConnection != "" {
		return config{}, errors.New("--default-connection needs EntraConnections, which the operator does not read with --watch-namespaces")
	}
	return cfg, nil
}

// parseConsentFlags reads --consent-mode and --consent-allow. An allow-list only means something to
// grant mode, and grant mode without one would refuse every grant: both are mistakes worth a refusal
// at start-up rather than a surprise later.
func parseConsentFlags(cfg *config, mode string, allow []string) error {
	var err error
	if cfg.consentMode, err = controllers.ParseConsentMode(mode); err != nil {
		return fmt.Errorf("--consent-mode: %w", err)
	}
	if cfg.consentPolicy, err = permissions.ParsePolicy(allow...); err != nil {
		return fmt.Errorf("--consent-allow: %w", err)
	}
	switch {
	case cfg.consentMode == controllers.ConsentGrant && len(cfg.consentPolicy.Rules) == 0:
		return errors.New("--consent-mode=grant needs --consent-allow naming what the operator may grant")
	case cfg.consentMode != controllers.ConsentGrant && len(cfg.consentPolicy.Rules) > 0:
		return fmt.Errorf("--consent-allow has no effect with --consent-mode=%s; use --consent-mode=grant", cfg.consentMode)
	}
	return nil
}

// metricsOptions configures the metrics server from cfg.
func metricsOptions(cfg config) metricsserver.Options {
	var tlsOpts []func(*tls.Config)
	if !cfg.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) {
			c.NextProtos = []string{"http/1.1"}
		})
	}
	opts := metricsserver.Options{
		BindAddress:   cfg.metricsAddr,
		SecureServing: cfg.secureMetrics,
		CertDir:       cfg.metricsCertDir,
		TLSOpts:       tlsOpts,
	}
	if cfg.secureMetrics {
		// Only callers allowed to `get` the /metrics non-resource URL (see
		// config/rbac/metrics_reader_role.yaml) may scrape. This needs the manager's ServiceAccount
		// to create TokenReviews and SubjectAccessReviews (config/rbac/metrics_auth_role.yaml).
		opts.FilterProvider = metricsauth.New
	}
	return opts
}

// cacheOptions are the manager's cache: only the Secrets the operator labels, and with
// --watch-namespaces only those namespaces.
func cacheOptions(cfg config) cache.Options {
	opts := controllers.CacheOptions()
	if len(cfg.watchNamespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range cfg.watchNamespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}

// cachesSynced is ready once the manager's informers have their first lists: before that, a
// rollout would count a pod ready that has not seen a single object.
func cachesSynced(c cache.Cache) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !c.WaitForCacheSync(ctx) {
			return errors.New("the informer caches have not synced yet")
		}
		return nil
	}
}

// newScheme returns the scheme holding every type the manager reads or writes.
func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(entrav1alpha1.AddToScheme(scheme))
	return scheme
}

// controllerSetup registers one reconciler with the manager.
type controllerSetup struct {
	name  string
	setup func(mgr ctrl.Manager, cfg config) error
}

// reconcilers lists the reconcilers the manager runs.
var reconcilers = []controllerSetup{
	{name: "appregistration", setup: setupAppRegistration},
}

// setupAppRegistration connects to Microsoft Graph with the credentials in the environment (the
// operator's own tenant, unless every AppRegistration uses an EntraConnection) and registers the
// AppRegistration and EntraConnection reconcilers, which share one registry of tenant connections.
func setupAppRegistration(mgr ctrl.Manager, cfg config) error {
	c, err := cloud.ByName(cfg.cloudName)
	if err != nil {
		return err
	}
	if c, err = c.WithOverrides(cfg.authorityHost, cfg.graphEndpoint); err != nil {
		return err
	}
	var caBundle []byte
	if cfg.caBundle != "" {
		if caBundle, err = os.ReadFile(cfg.caBundle); err != nil {
			return fmt.Errorf("reading --ca-bundle: %w", err)
		}
	}
	transport, err := msgraph.NewTransport(caBundle)
	if err != nil {
		return fmt.Errorf("--ca-bundle %s: %w", cfg.caBundle, err)
	}
	registry := tenants.NewRegistry(tenants.Options{
		Reader: mgr.GetClient(), SecretReader: mgr.GetAPIReader(), OperatorNamespace: cfg.operatorNamespace,
		DefaultConnection: cfg.defaultConnection,
		Connect:           msgraph.Connector(transport, cfg.tokenTimeout, cfg.graphTimeout, metrics.ObserveGraphRequest),
		WriteQPS:          cfg.graphWriteQPS, WriteBurst: cfg.graphWriteBurst,
		WithoutConnections: len(cfg.watchNamespaces) > 0,
	})
	// Not mgr.GetEventRecorder: client-go's broadcaster behind it holds every Event and a
	// goroutine per event through a burst; this one holds a bounded queue and one goroutine.
	recorder := eventrecorder.New(mgr.GetClient(), mgr.GetScheme(), eventsController, reportingInstance())
	if err := mgr.Add(recorder); err != nil {
		return fmt.Errorf("adding the event recorder: %w", err)
	}
	r := &controllers.AppRegistrationReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Tenants:                 registry,
		Cloud:                   c,
		Recorder:                recorder,
		ResyncPeriod:            cfg.resyncPeriod,
		ReconcileTimeout:        cfg.reconcileTimeout,
		MaxConcurrentReconciles: cfg.maxConcurrentReconciles,
		ConsentMode:             cfg.consentMode,
		ConsentPolicy:           cfg.consentPolicy,
		BackstopPeriod:          cfg.backstopPeriod,
		NamespaceScoped:         len(cfg.watchNamespaces) > 0,
	}
	cred, tenantID, err := msgraph.NewCredentialFromEnvironment(c, transport, cfg.tokenTimeout)
	switch {
	case err == nil:
		if err := useEnvironmentTenant(r, registry, cfg, c, transport, cred, tenantID); err != nil {
			return err
		}
	case cfg.defaultConnection != "" && os.Getenv("AZURE_TENANT_ID") == "":
		setupLog.Info("no operator identity in the environment: AppRegistrations use EntraConnections",
			"defaultConnection", cfg.defaultConnection)
	default:
		return err
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return err
	}
	if r.NamespaceScoped {
		setupLog.Info("watching only some namespaces; EntraConnections are not used", "namespaces", cfg.watchNamespaces)
		return nil
	}
	return (&controllers.EntraConnectionReconciler{Client: mgr.GetClient(), Tenants: registry}).SetupWithManager(mgr)
}

// useEnvironmentTenant makes the tenant of the operator's environment identity its own connection,
// with the tenant's shared write budget, and, with delta query on, the mirror of its applications.
func useEnvironmentTenant(r *controllers.AppRegistrationReconciler, registry *tenants.Registry, cfg config, c cloud.Cloud,
	transport http.RoundTripper, cred azcore.TokenCredential, tenantID string) error {
	var store *mirror.Store
	opts := msgraph.Options{
		Cloud:          c,
		TenantID:       tenantID,
		Credential:     cred,
		Transport:      transport,
		WriteLimiter:   registry.WriteLimiter(tenantID),
		RequestTimeout: cfg.graphTimeout,
		Observe:        metrics.ObserveGraphRequest,
	}
	if cfg.deltaInterval > 0 {
		// The mirror stops answering when three polls in a row have not completed.
		store = mirror.NewStore(time.Now, desired.IsUniqueName, 3*cfg.deltaInterval)
		opts.OnWrite = store.OnWrite
	}
	sdk, err := msgraph.New(opts)
	if err != nil {
		return err
	}
	var graphClient graph.Client = sdk
	if store != nil {
		graphClient = mirror.NewClient(sdk, store)
		r.Mirror, r.Delta, r.DeltaInterval = store, sdk, cfg.deltaInterval
	}
	r.Graph = graphClient
	registry.SetEnvironment(&tenants.Connection{TenantID: strings.ToLower(tenantID), Cloud: c, Graph: graphClient,
		Policy: entrav1alpha1.RegistrationPolicy{AllowAdoption: cfg.allowAdoption}})
	setupLog.Info("using Microsoft Graph", "cloud", c.Name, "graph", c.GraphBaseURL(), "authority", c.AuthorityHost, "tenantId", tenantID,
		"consentMode", cfg.consentMode, "consentAllow", cfg.consentPolicy.String(), "deltaInterval", cfg.deltaInterval)
	if warning := c.GraphAudienceWarning(); warning != "" {
		setupLog.Info("WARNING: " + warning)
	}
	return nil
}

// setupControllers registers every reconciler in reconcilers with mgr.
func setupControllers(mgr ctrl.Manager, cfg config) error {
	for _, c := range reconcilers {
		if err := c.setup(mgr, cfg); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", c.name, err)
		}
	}
	return nil
}

func run(cfg config) error {
	restConfig := ctrl.GetConfigOrDie()
	restConfig.QPS, restConfig.Burst = float32(cfg.kubeQPS), cfg.kubeBurst
	var lock resourcelock.Interface
	if cfg.enableLeaderElection {
		var err error
		if lock, err = podLeaseLock(restConfig, cfg.leaderElectionNamespace); err != nil {
			return err
		}
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                              newScheme(),
		Metrics:                             metricsOptions(cfg),
		HealthProbeBindAddress:              cfg.probeAddr,
		LeaderElection:                      cfg.enableLeaderElection,
		LeaderElectionID:                    leaderElectionID,
		LeaderElectionNamespace:             cfg.leaderElectionNamespace,
		LeaderElectionResourceLockInterface: lock,
		// The process exits as soon as the manager stops, so handing the Lease over right away
		// is safe and lets a new replica take over without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &cfg.shutdownTimeout,
		// Only the Secrets the operator labels are cached, without managedFields.
		Cache:            cacheOptions(cfg),
		PprofBindAddress: cfg.pprofAddr,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	if err := setupControllers(mgr, cfg); err != nil {
		return err
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("informers", cachesSynced(mgr.GetCache())); err != nil {
		return fmt.Errorf("adding the ready check: %w", err)
	}

	setupLog.Info("starting manager")
	// SetupSignalHandler cancels the context on SIGTERM/SIGINT; the manager then stops its
	// runnables within its graceful shutdown timeout. A second signal exits immediately.
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

// memProfileRate is the heap profile's sampling rate: none without the pprof endpoint. Nobody can
// read the profile then, and recording it costs a stack walk per sampled allocation and a table
// of every stack seen (2 MiB at 5,000 AppRegistrations).
func memProfileRate(pprofAddr string, rate int) int {
	if pprofAddr == "" || pprofAddr == "0" {
		return 0
	}
	return rate
}

func main() {
	// flag.CommandLine exits on its own for -h and for bad flags.
	cfg, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&cfg.zap)))
	goruntime.MemProfileRate = memProfileRate(cfg.pprofAddr, goruntime.MemProfileRate)

	if err := run(cfg); err != nil {
		setupLog.Error(err, "manager exited with an error")
		os.Exit(1)
	}
}
