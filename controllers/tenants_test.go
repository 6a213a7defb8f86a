package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// twoTenants starts an emulator with two tenants for one test.
func twoTenants(t *testing.T) *emulator.Server {
	t.Helper()
	s, err := emulator.Start(emulator.Options{Tenants: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// writeConnection creates an EntraConnection to tenant, its client secret in operatorNS.
func writeConnection(t *testing.T, server *emulator.Server, name, operatorNS string, tenant *emulator.Tenant,
	admitted v1.NamespaceSelection, p v1.RegistrationPolicy) {
	t.Helper()
	writeConnectionAs(t, server, name, operatorNS, tenant, tenant.OperatorClientID(), tenant.OperatorClientSecret(), admitted, p)
}

// writeConnectionAs is writeConnection signing in as the client clientID.
func writeConnectionAs(t *testing.T, server *emulator.Server, name, operatorNS string, tenant *emulator.Tenant,
	clientID, clientSecret string, admitted v1.NamespaceSelection, p v1.RegistrationPolicy) {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-credentials", Namespace: operatorNS},
		Data:       map[string][]byte{"AZURE_CLIENT_SECRET": []byte(clientSecret)},
	}
	if err := k8sClient.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	conn := &v1.EntraConnection{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.EntraConnectionSpec{
			TenantID: tenant.ID(), AuthorityHost: server.AuthorityHost(), GraphEndpoint: server.GraphBaseURL(),
			Credentials: v1.ConnectionCredentials{ClientID: clientID,
				ClientSecret: &v1.ConnectionSecretKeyRef{Name: secret.Name}},
			Namespaces: admitted, Policy: p,
		},
	}
	if err := k8sClient.Create(ctx, conn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), conn) })
}

// appsIn lists the applications of tenant made for obj.
func appsIn(tenant *emulator.Tenant, obj *v1.AppRegistration) int {
	n := 0
	for _, a := range tenant.Applications() {
		if a.UniqueName != nil && *a.UniqueName == desired.UniqueName(string(obj.UID)) {
			n++
		}
	}
	return n
}

func waitReason(t *testing.T, obj *v1.AppRegistration, reason, inMessage string) *metav1.Condition {
	t.Helper()
	var cond *metav1.Condition
	waitFor(t, "Ready reason "+reason, func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(obj))
		if c == nil {
			return false, "no Ready condition"
		}
		cond = c
		return c.Reason == reason && strings.Contains(c.Message, inMessage), c.Reason + ": " + c.Message
	})
	return cond
}

// TestTwoConnectionsServeTwoNamespaces: two EntraConnections to two tenants serve two namespaces;
// each object's application is made in its namespace's tenant; a namespace a connection does not
// admit is refused with a clear reason and nothing is made, until its labels admit it.
func TestTwoConnectionsServeTwoNamespaces(t *testing.T) {
	server := twoTenants(t)
	contoso, fabrikam := server.Tenants()[0], server.Tenants()[1]
	operatorNS, contosoNS, fabrikamNS, strangerNS := newNamespace(t), newNamespace(t), newNamespace(t), newNamespace(t)
	startManager(t, managerOptions{server: server, connections: true, operatorNamespace: operatorNS})
	ctx := context.Background()
	writeConnection(t, server, "contoso-"+contosoNS, operatorNS, contoso, v1.NamespaceSelection{Names: []string{contosoNS}}, v1.RegistrationPolicy{})
	writeConnection(t, server, "fabrikam-"+fabrikamNS, operatorNS, fabrikam, v1.NamespaceSelection{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "fabrikam-" + fabrikamNS}}}, v1.RegistrationPolicy{})
	for _, ns := range []string{fabrikamNS} {
		labelNamespace(t, ns, "tenant", "fabrikam-"+fabrikamNS)
	}

	inContoso := espoCRM(contosoNS, "crm")
	inContoso.Spec.Connection = "contoso-" + contosoNS
	inFabrikam := espoCRM(fabrikamNS, "crm")
	inFabrikam.Spec.Connection = "fabrikam-" + fabrikamNS
	stranger := espoCRM(strangerNS, "crm")
	stranger.Spec.Connection = "fabrikam-" + fabrikamNS
	for _, o := range []*v1.AppRegistration{inContoso, inFabrikam, stranger} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		obj          *v1.AppRegistration
		home, other  *emulator.Tenant
		homeTenantID string
	}{{inContoso, contoso, fabrikam, contoso.ID()}, {inFabrikam, fabrikam, contoso, fabrikam.ID()}} {
		got := waitReady(t, client.ObjectKeyFromObject(c.obj))
		if appsIn(c.home, got) != 1 || appsIn(c.other, got) != 0 {
			t.Errorf("%s/%s: %d applications in its tenant, %d in the other; want 1 and 0",
				got.Namespace, got.Name, appsIn(c.home, got), appsIn(c.other, got))
		}
		if got.Status.TenantID != c.homeTenantID {
			t.Errorf("%s/%s: status.tenantId %s, want %s", got.Namespace, got.Name, got.Status.TenantID, c.homeTenantID)
		}
		if cond := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionConnectionReady); cond == nil || !strings.Contains(cond.Message, c.homeTenantID) {
			t.Errorf("ConnectionReady = %+v, want it to name tenant %s", cond, c.homeTenantID)
		}
	}

	waitReason(t, stranger, v1.ReasonNamespaceNotAdmitted, strangerNS)
	if appsIn(contoso, stranger)+appsIn(fabrikam, stranger) != 0 {
		t.Error("an application was made for a namespace the connection does not admit")
	}
	// A cluster administrator labels the namespace: the namespace's watch brings the object back.
	labelNamespace(t, strangerNS, "tenant", "fabrikam-"+fabrikamNS)
	admitted := waitReady(t, client.ObjectKeyFromObject(stranger))
	if appsIn(fabrikam, admitted) != 1 {
		t.Error("the admitted object's application is not in the connection's tenant")
	}

	for _, name := range []string{"contoso-" + contosoNS, "fabrikam-" + fabrikamNS} {
		waitFor(t, "EntraConnection "+name+" Ready", func() (bool, string) {
			conn := &v1.EntraConnection{}
			if err := k8sClient.Get(ctx, client.ObjectKey{Name: name}, conn); err != nil {
				return false, err.Error()
			}
			c := meta.FindStatusCondition(conn.Status.Conditions, v1.ConditionReady)
			return c != nil && c.Status == metav1.ConditionTrue, fmt.Sprint(c)
		})
	}
}

func labelNamespace(t *testing.T, name, key, value string) {
	t.Helper()
	ns := &corev1.Namespace{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Name: name}, ns); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ns.DeepCopy())
	metav1.SetMetaDataLabel(&ns.ObjectMeta, key, value)
	if err := k8sClient.Patch(context.Background(), ns, patch); err != nil {
		t.Fatal(err)
	}
}

// TestEachPolicyRuleRefusesBeforeEntraIsTouched: for every rule of a connection's policy, a spec
// breaking it is refused with a reason naming the rule and the field, and no request writes to
// Entra ID; a connection whose credentials cannot be read is reported too.
func TestEachPolicyRuleRefusesBeforeEntraIsTouched(t *testing.T) {
	server := twoTenants(t)
	tenant := server.Tenants()[1]
	operatorNS, ns := newNamespace(t), newNamespace(t)
	startManager(t, managerOptions{server: server, connections: true, operatorNamespace: operatorNS})
	ctx := context.Background()
	conn := "strict-" + ns
	writeConnection(t, server, conn, operatorNS, tenant, v1.NamespaceSelection{Names: []string{ns}}, v1.RegistrationPolicy{
		AllowedSignInAudiences: []v1.SignInAudience{v1.AudienceMyOrg},
		AllowedRedirectHosts:   []v1.RedirectHost{".example.com", "localhost", "auth"},
		AllowImplicitGrant:     ptr.To(false),
		AllowPublicClientFlows: ptr.To(false),
		AllowedPermissions:     []string{"MicrosoftGraph:delegated:*"},
	})
	within := func(name string) *v1.AppRegistration {
		o := espoCRM(ns, name)
		o.Spec.Connection = conn
		o.Spec.SignInAudience = v1.AudienceMyOrg
		o.Spec.Web.ImplicitGrant = v1.ImplicitGrant{}
		o.Spec.PublicClient.AllowPublicClientFlows = false
		return o
	}
	cases := []struct {
		name, rule, field string
		breakIt           func(*v1.AppRegistration)
	}{
		{"audience", "allowedSignInAudiences", "spec.signInAudience", func(o *v1.AppRegistration) { o.Spec.SignInAudience = v1.AudienceMultipleOrgs }},
		{"redirect-host", "allowedRedirectHosts", "spec.web.redirectUris[0]", func(o *v1.AppRegistration) {
			o.Spec.Web.RedirectURIs = []v1.RedirectURI{"https://phish.example.net/callback"}
		}},
		{"implicit-grant", "allowImplicitGrant", "spec.web.implicitGrant.idTokens", func(o *v1.AppRegistration) { o.Spec.Web.ImplicitGrant.IDTokens = true }},
		{"public-client", "allowPublicClientFlows", "spec.publicClient.allowPublicClientFlows", func(o *v1.AppRegistration) {
			o.Spec.PublicClient.AllowPublicClientFlows = true
		}},
		{"permission", "allowedPermissions", "spec.permissions[0].application[0]", func(o *v1.AppRegistration) {
			o.Spec.Permissions = []v1.ResourcePermissions{{Resource: v1.ResourceMicrosoftGraph, Application: []v1.PermissionName{"Directory.ReadWrite.All"}}}
		}},
		{"adopt", "allowAdoption", "spec.adopt", func(o *v1.AppRegistration) {
			o.Spec.Adopt = &v1.Adoption{AppID: tenant.OperatorClientID()}
		}},
	}
	server.ResetCounters()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := within(c.name)
			c.breakIt(obj)
			if err := k8sClient.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			cond := waitReason(t, obj, v1.ReasonPolicyViolation, c.field)
			if !strings.Contains(cond.Message, c.rule) || !strings.Contains(cond.Message, "Nothing was written") {
				t.Errorf("message %q does not name the rule %s", cond.Message, c.rule)
			}
			if appsIn(tenant, obj) != 0 {
				t.Error("an application was made despite the policy")
			}
		})
	}
	if w := server.Counters().Writes; w != 0 {
		t.Errorf("refused objects made %d Graph writes: %v", w, server.Counters().ByOperation)
	}

	// The same spec within the policy goes through.
	ok := within("within")
	if err := k8sClient.Create(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if got := waitReady(t, client.ObjectKeyFromObject(ok)); appsIn(tenant, got) != 1 {
		t.Error("the object within the policy has no application in the connection's tenant")
	}

	missing := within("no-connection")
	missing.Spec.Connection = "nowhere"
	if err := k8sClient.Create(ctx, missing); err != nil {
		t.Fatal(err)
	}
	waitReason(t, missing, v1.ReasonConnectionNotFound, "nowhere")
}
