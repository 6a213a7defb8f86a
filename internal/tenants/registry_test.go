package tenants_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph/msgraph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
	"github.com/entra-sso-operator/entra-sso-operator/internal/testenv"
)

var (
	k8sClient client.Client
	srv       *emulator.Server
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
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1.AddToScheme(scheme))
	env, err := testenv.Start()
	if err != nil {
		return 1, err
	}
	defer func() { _ = env.Stop() }()
	if k8sClient, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		return 1, err
	}
	if srv, err = emulator.Start(emulator.Options{Tenants: 2}); err != nil {
		return 1, err
	}
	defer func() { _ = srv.Close() }()
	return m.Run(), nil
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8sClient.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), obj) })
}

// connectionTo writes an EntraConnection to an emulated tenant, its secret in the operator's namespace.
func connectionTo(t *testing.T, name, operatorNS string, tenant *emulator.Tenant, admitted v1.NamespaceSelection) {
	t.Helper()
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-credentials", Namespace: operatorNS},
		Data:       map[string][]byte{"AZURE_CLIENT_SECRET": []byte(tenant.OperatorClientSecret())},
	})
	create(t, &v1.EntraConnection{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.EntraConnectionSpec{
			TenantID: tenant.ID(), AuthorityHost: srv.AuthorityHost(), GraphEndpoint: srv.GraphBaseURL(),
			Credentials: v1.ConnectionCredentials{
				ClientID:     tenant.OperatorClientID(),
				ClientSecret: &v1.ConnectionSecretKeyRef{Name: name + "-credentials"},
			},
			Namespaces: admitted,
		},
	})
}

func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tenants-", Labels: labels}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// TestTwoConnectionsReachTheirOwnTenants: each connection's client works in its tenant, namespaces
// are admitted by name or label and refused otherwise, and connections to one tenant share one
// write budget.
func TestTwoConnectionsReachTheirOwnTenants(t *testing.T) {
	ctx := context.Background()
	operatorNS := namespace(t, nil)
	contoso, fabrikam := srv.Tenants()[0], srv.Tenants()[1]
	contosoNS := namespace(t, nil)
	fabrikamNS := namespace(t, map[string]string{"tenant": "fabrikam"})
	strangerNS := namespace(t, nil)
	connectionTo(t, "contoso", operatorNS, contoso, v1.NamespaceSelection{Names: []string{contosoNS}})
	connectionTo(t, "fabrikam", operatorNS, fabrikam, v1.NamespaceSelection{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "fabrikam"}}})
	transport, err := msgraph.NewTransport(srv.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	reg := tenants.NewRegistry(tenants.Options{
		Reader: k8sClient, OperatorNamespace: operatorNS, Connect: msgraph.Connector(transport, 0, 0, nil), WriteQPS: 10, WriteBurst: 20,
	})

	for _, c := range []struct {
		connection, namespace string
		tenant                *emulator.Tenant
	}{{"contoso", contosoNS, contoso}, {"fabrikam", fabrikamNS, fabrikam}} {
		obj := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: c.namespace},
			Spec: v1.AppRegistrationSpec{Connection: c.connection}}
		conn, err := reg.Resolve(ctx, obj)
		if err != nil {
			t.Fatalf("%s: %v", c.connection, err)
		}
		if conn.TenantID != c.tenant.ID() || conn.Graph.TenantID() != c.tenant.ID() {
			t.Errorf("%s resolved to tenant %s, want %s", c.connection, conn.TenantID, c.tenant.ID())
		}
		// The client signs in to its own tenant: the Microsoft Graph service principal it reads is
		// that tenant's.
		sp, err := conn.Graph.GetServicePrincipal(ctx, emulator.MicrosoftGraphAppID)
		if err != nil || sp.ObjectID != c.tenant.GraphServicePrincipalID() {
			t.Errorf("%s read service principal %+v, %v; want %s's", c.connection, sp, err, c.connection)
		}
		again, _ := reg.Resolve(ctx, obj)
		if again.Graph != conn.Graph {
			t.Errorf("%s: a second resolve built a second client", c.connection)
		}
	}

	refused := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: strangerNS},
		Spec: v1.AppRegistrationSpec{Connection: "contoso"}}
	_, err = reg.Resolve(ctx, refused)
	if e, ok := tenants.IsError(err); !ok || e.Reason != tenants.ReasonNamespaceNotAdmitted || !strings.Contains(e.Message, strangerNS) {
		t.Errorf("a namespace the connection does not admit: %v", err)
	}
	missing := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: contosoNS},
		Spec: v1.AppRegistrationSpec{Connection: "nowhere"}}
	if e, ok := tenants.IsError(mustFail(reg.Resolve(ctx, missing))); !ok || e.Reason != tenants.ReasonConnectionNotFound {
		t.Errorf("a connection that does not exist: %v", e)
	}
	noDefault := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: contosoNS}}
	if e, ok := tenants.IsError(mustFail(reg.Resolve(ctx, noDefault))); !ok || e.Reason != tenants.ReasonConnectionNotFound {
		t.Errorf("no connection and no default: %v", e)
	}
	if reg.WriteLimiter(strings.ToUpper(contoso.ID())) != reg.WriteLimiter(contoso.ID()) ||
		reg.WriteLimiter(contoso.ID()) == reg.WriteLimiter(fabrikam.ID()) {
		t.Error("write budgets are not one per tenant")
	}
}

func mustFail(_ *tenants.Connection, err error) error { return err }

// TestAChangedCredentialIsPickedUp: a rotated connection secret leads to a new client (once the
// recheck interval has passed); a missing Secret is reported, not retried blindly.
func TestAChangedCredentialIsPickedUp(t *testing.T) {
	ctx := context.Background()
	operatorNS := namespace(t, nil)
	tenant := srv.Tenants()[1]
	appNS := namespace(t, nil)
	connectionTo(t, "rotating", operatorNS, tenant, v1.NamespaceSelection{Names: []string{appNS}})
	transport, err := msgraph.NewTransport(srv.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reg := tenants.NewRegistry(tenants.Options{
		Reader: k8sClient, OperatorNamespace: operatorNS, Connect: msgraph.Connector(transport, 0, 0, nil), WriteQPS: 10, WriteBurst: 20,
		CredentialRecheck: time.Minute, Now: func() time.Time { return now },
	})
	obj := &v1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: appNS}, Spec: v1.AppRegistrationSpec{Connection: "rotating"}}
	first, err := reg.Resolve(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}

	// The administrator puts a wrong secret in: the next client fails to sign in, proving it was rebuilt.
	secret := &corev1.Secret{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: operatorNS, Name: "rotating-credentials"}, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["AZURE_CLIENT_SECRET"] = []byte("wrong")
	if err := k8sClient.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if again, _ := reg.Resolve(ctx, obj); again.Graph != first.Graph {
		t.Error("the credential was read again before the recheck interval")
	}
	now = now.Add(2 * time.Minute)
	second, err := reg.Resolve(ctx, obj)
	if err != nil || second.Graph == first.Graph {
		t.Fatalf("after the recheck interval: %v, rebuilt = %v", err, second.Graph != first.Graph)
	}
	_, err = second.Graph.GetServicePrincipal(ctx, emulator.MicrosoftGraphAppID)
	if graph.KindOf(err) != graph.KindAuthentication {
		t.Errorf("the rebuilt client with the wrong secret: %v, want an authentication failure", err)
	}

	if err := k8sClient.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	_, err = reg.Resolve(ctx, obj)
	var te *tenants.Error
	if !errors.As(err, &te) || te.Reason != tenants.ReasonConnectionUnavailable || !strings.Contains(te.Message, "does not exist") {
		t.Errorf("a missing credential Secret: %v", err)
	}
}
