package controllers_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/eventrecorder"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph/msgraph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
	"github.com/entra-sso-operator/entra-sso-operator/internal/mirror"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
	"github.com/entra-sso-operator/entra-sso-operator/internal/testenv"
)

// The suite runs the real pieces end to end: an envtest API server with the generated CRD, the
// operator's manager, and the Entra emulator over HTTPS, reached through msgraph-sdk-go and azidentity.
var (
	env       *testenv.Environment
	k8sClient client.Client
	scheme    = runtime.NewScheme()
	srv       *emulator.Server
	tenant    *emulator.Tenant
	// emuCloud is the public cloud with its hosts pointed at the emulator, as the operator's
	// --authority-host and --graph-endpoint flags would set it.
	emuCloud cloud.Cloud
	// logs collects everything every manager in the suite logged, to be searched for secrets.
	logs syncBuffer
	// operatorGraphCalls counts the Graph requests the operator saw answered, through the same hook
	// that feeds its Prometheus metric, to compare with what the emulator counted.
	operatorGraphCalls atomic.Int64
	// queueDepthRemainder is the queue depth stopped managers left behind (float64 bits).
	queueDepthRemainder atomic.Uint64
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(entrav1alpha1.AddToScheme(scheme))
	ctrl.SetLogger(zap.New(zap.WriteTo(&logs), zap.Level(zapcore.DebugLevel)))

	var err error
	if env, err = testenv.Start(); err != nil {
		return 1, err
	}
	defer func() { _ = env.Stop() }()
	if k8sClient, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		return 1, err
	}
	if srv, err = emulator.Start(emulator.Options{}); err != nil {
		return 1, err
	}
	defer func() { _ = srv.Close() }()
	tenant = srv.Tenants()[0]
	if emuCloud, err = cloud.Public.WithOverrides(srv.AuthorityHost(), srv.GraphBaseURL()); err != nil {
		return 1, err
	}
	// The operator reads its identity from the environment, as in a Deployment.
	os.Setenv("AZURE_TENANT_ID", tenant.ID())
	os.Setenv("AZURE_CLIENT_ID", tenant.OperatorClientID())
	os.Setenv("AZURE_CLIENT_SECRET", tenant.OperatorClientSecret())
	return m.Run(), nil
}

// managerOptions vary what a test's operator looks like.
type managerOptions struct {
	resync time.Duration
	// clientID and secret replace the operator's identity (for permission tests).
	clientID, secret string
	// tokenTimeout, graphTimeout and reconcileTimeout override the shipped defaults.
	tokenTimeout, graphTimeout, reconcileTimeout time.Duration
	// replicationWindow overrides the tests' short default (testReplicationWindow).
	replicationWindow time.Duration
	// consentMode and consentPolicy are --consent-mode and --consent-allow.
	consentMode   controllers.ConsentMode
	consentPolicy permissions.Policy
	// server runs the operator against another emulator than the suite's (one with its own clock
	// or tenant policy), as the first tenant's operator application unless clientID is set.
	server *emulator.Server
	// clock is the reconciler's clock; share it with the server's Options.Clock.
	clock clock.PassiveClock
	// wrapGraph wraps the operator's Graph client, to lose an answer on purpose.
	wrapGraph func(graph.Client) graph.Client
	// freshTokens fetches a new Graph token for every request: a test that moves the emulator's
	// clock past a token's lifetime would otherwise have the operator send tokens the emulator
	// considers expired, from a cache that goes by real time.
	freshTokens bool
	// delta turns on delta query and the mirror with this poll interval, as --delta-interval does;
	// zero leaves them off, so every reconcile reads Graph. backstop overrides --backstop-period.
	delta, backstop time.Duration
	// namespace limits the operator to one namespace, so a test that counts Graph calls sees only
	// its own objects' (others' objects stay in the shared API server).
	namespace string
	// connections resolves each object's connection as the manager does: EntraConnections whose
	// credential Secrets live in operatorNamespace, the test's environment identity as the
	// operator's own tenant, defaultConnection for objects naming none. The EntraConnection
	// reconciler runs too.
	connections       bool
	operatorNamespace string
	defaultConnection string
	// namespaceScoped runs the manager as --watch-namespaces does (with namespace the one watched),
	// signed in to Kubernetes as restConfig when set.
	namespaceScoped bool
	restConfig      *rest.Config
}

// testReplicationWindow stands in for the shipped two minutes, so a deletion confirmed after the
// window does not hold a test for minutes.
const testReplicationWindow = 4 * time.Second

// startManager runs the operator, wired as cmd/main.go wires it, until the test ends or stop is
// called. It returns the Graph client so tests can act as a crashed earlier operator would have.
func startManager(t testing.TB, o managerOptions) (stop func(), gc graph.Client) {
	t.Helper()
	if o.resync == 0 {
		o.resync = time.Hour
	}
	if o.replicationWindow == 0 {
		o.replicationWindow = testReplicationWindow
	}
	// A manager stopped with an object queued leaves that in the shared queue depth gauge for good;
	// every manager of the suite is stopped before the next starts, so what is left now is such a
	// remainder, which waitIdle does not count.
	queueDepthRemainder.Store(0)
	queueRemainder, _ := controllerLoad(t)
	queueDepthRemainder.Store(math.Float64bits(queueRemainder))
	server, serverCloud := srv, emuCloud
	if o.server != nil {
		server = o.server
		var err error
		if serverCloud, err = cloud.Public.WithOverrides(server.AuthorityHost(), server.GraphBaseURL()); err != nil {
			t.Fatal(err)
		}
		first := server.Tenants()[0]
		t.Setenv("AZURE_TENANT_ID", first.ID())
		t.Setenv("AZURE_CLIENT_ID", first.OperatorClientID())
		t.Setenv("AZURE_CLIENT_SECRET", first.OperatorClientSecret())
	}
	if o.clientID != "" {
		t.Setenv("AZURE_CLIENT_ID", o.clientID)
		t.Setenv("AZURE_CLIENT_SECRET", o.secret)
	}
	transport, err := msgraph.NewTransport(server.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, tenantID, err := msgraph.NewCredentialFromEnvironment(serverCloud, transport, o.tokenTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if o.freshTokens {
		cred = freshCredential{make: func() (azcore.TokenCredential, error) {
			c, _, err := msgraph.NewCredentialFromEnvironment(serverCloud, transport, o.tokenTimeout)
			return c, err
		}}
	}
	var clk func() time.Time
	if o.clock != nil {
		clk = o.clock.Now
	}
	opts := msgraph.Options{
		Cloud: serverCloud, TenantID: tenantID, Credential: cred, Transport: transport, Clock: clk,
		WriteLimiter: rate.NewLimiter(50, 50), RequestTimeout: o.graphTimeout,
		Observe: func(method string, status int) {
			metrics.ObserveGraphRequest(method, status)
			operatorGraphCalls.Add(1)
		},
	}
	var store *mirror.Store
	if o.delta > 0 {
		store = mirror.NewStore(time.Now, desired.IsUniqueName, 3*o.delta)
		opts.OnWrite = store.OnWrite
	}
	sdk, err := msgraph.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	gc = sdk
	if store != nil {
		gc = mirror.NewClient(sdk, store)
	}
	cacheOptions := controllers.CacheOptions()
	if o.namespace != "" {
		cacheOptions.DefaultNamespaces = map[string]cache.Config{o.namespace: {}}
	}
	restConfig := cmp.Or(o.restConfig, env.Config)
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOptions,
		Controller:             ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	operatorGraph := gc
	if o.wrapGraph != nil {
		operatorGraph = o.wrapGraph(gc)
	}
	// The recorder the manager runs, so the tests that read events back exercise it.
	recorder := eventrecorder.New(mgr.GetClient(), mgr.GetScheme(), "entra-sso-operator", "envtest")
	if err := mgr.Add(recorder); err != nil {
		t.Fatal(err)
	}
	r := &controllers.AppRegistrationReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Graph:                   operatorGraph,
		Clock:                   o.clock,
		Mirror:                  store,
		Delta:                   sdk,
		DeltaInterval:           o.delta,
		BackstopPeriod:          o.backstop,
		Cloud:                   serverCloud,
		Recorder:                recorder,
		ResyncPeriod:            o.resync,
		ReconcileTimeout:        o.reconcileTimeout,
		ReplicationWindow:       o.replicationWindow,
		MaxConcurrentReconciles: 4,
		ConsentMode:             o.consentMode,
		ConsentPolicy:           o.consentPolicy,
		NamespaceScoped:         o.namespaceScoped,
	}
	if o.connections {
		r.Tenants = startRegistry(t, mgr, o, transport, tenantID, serverCloud, operatorGraph)
	}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop, gc
}

// startRegistry resolves connections as the manager does, with the test's environment identity as
// the operator's own tenant, and runs the EntraConnection reconciler unless namespace-scoped.
func startRegistry(t testing.TB, mgr ctrl.Manager, o managerOptions, transport http.RoundTripper, tenantID string,
	serverCloud cloud.Cloud, operatorGraph graph.Client) *tenants.Registry {
	t.Helper()
	registry := tenants.NewRegistry(tenants.Options{
		Reader: mgr.GetClient(), SecretReader: mgr.GetAPIReader(), OperatorNamespace: o.operatorNamespace,
		DefaultConnection: o.defaultConnection, Connect: msgraph.Connector(transport, o.tokenTimeout, 0, nil),
		WriteQPS: 50, WriteBurst: 50, WithoutConnections: o.namespaceScoped,
	})
	registry.SetEnvironment(&tenants.Connection{TenantID: strings.ToLower(tenantID), Cloud: serverCloud, Graph: operatorGraph})
	if !o.namespaceScoped {
		if err := (&controllers.EntraConnectionReconciler{Client: mgr.GetClient(), Tenants: registry}).SetupWithManager(mgr); err != nil {
			t.Fatal(err)
		}
	}
	return registry
}

// freshCredential gets every token from a new credential, so no token outlives a jump of the
// emulator's clock.
type freshCredential struct {
	make func() (azcore.TokenCredential, error)
}

func (f freshCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c, err := f.make()
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return c.GetToken(ctx, opts)
}

// newNamespace gives each test its own namespace.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitIdle waits until the operator has nothing to do: no AppRegistration queued and no reconcile
// running, twice in a row. Scheduled requeues (resync, retries) do not count as work. It replaces
// fixed sleeps: a test that must see every follow-up reconcile of a change waits exactly as long as
// those take.
func waitIdle(t testing.TB) {
	t.Helper()
	idleTwice := 0
	deadline := time.Now().Add(timeout)
	var depth, active float64
	for time.Now().Before(deadline) {
		depth, active = controllerLoad(t)
		if depth <= 0 && active == 0 {
			idleTwice++
			if idleTwice == 2 {
				return
			}
		} else {
			idleTwice = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the operator did not go idle: %v queued, %v reconciling", depth, active)
}

// controllerLoad reads the appregistration controller's queue depth and running reconciles from
// controller-runtime's metrics.
func controllerLoad(t testing.TB) (depth, active float64) {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case f.GetName() == "workqueue_depth" && labels["name"] == "appregistration":
				depth += m.GetGauge().GetValue()
			case f.GetName() == "controller_runtime_active_workers" && labels["controller"] == "appregistration":
				active += m.GetGauge().GetValue()
			}
		}
	}
	return depth - math.Float64frombits(queueDepthRemainder.Load()), active
}
