package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// TestAnApplicationMadeInThePortalIsAdoptedOnlyWithApproval plays a team moving a CRM's portal
// application to the operator, through a connection that signs in with Application.ReadWrite.OwnedBy
// and allows adoption. The application is taken over only once an administrator has made the
// operator an owner and tagged it for this AppRegistration; then it keeps its client ID and the
// portal's secret, follows the spec, and no second application is made. Another object cannot take
// it from the first, nor delete it. deletionPolicy Orphan hands it back untouched but for the
// operator's own credentials and mark; Delete deletes it.
func TestAnApplicationMadeInThePortalIsAdoptedOnlyWithApproval(t *testing.T) {
	server := twoTenants(t)
	tenant := server.Tenants()[0]
	operatorNS, ns := newNamespace(t), newNamespace(t)
	startManager(t, managerOptions{server: server, connections: true, operatorNamespace: operatorNS})
	ctx := context.Background()
	ownedByID, ownedBySecret := tenant.AddClient(emulator.RoleApplicationReadWriteOwnedBy)
	operatorSP, _ := tenant.ServicePrincipalByAppID(ownedByID)
	conn := "adopting-" + ns
	writeConnectionAs(t, server, conn, operatorNS, tenant, ownedByID, ownedBySecret,
		v1.NamespaceSelection{Names: []string{ns}}, v1.RegistrationPolicy{AllowAdoption: true})

	portal, portalSecret := tenant.AddPortalApplication("EspoCRM (made in the portal)", "team:crm")
	adopting := func(name string) *v1.AppRegistration {
		o := espoCRM(ns, name)
		o.Spec.Connection = conn
		o.Spec.Adopt = &v1.Adoption{AppID: portal.AppID}
		o.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
		return o
	}
	crm := adopting("crm")
	if err := k8sClient.Create(ctx, crm); err != nil {
		t.Fatal(err)
	}
	unchanged := func(why string) {
		t.Helper()
		app, _ := tenant.Application(portal.ID)
		if app.DisplayName != portal.DisplayName || !slices.Equal(app.Tags, portal.Tags) || len(app.PasswordCredentials) != 1 {
			t.Fatalf("%s, yet the application changed: %q, tags %v, %d secrets", why, app.DisplayName, app.Tags, len(app.PasswordCredentials))
		}
	}

	approval := v1.AdoptionTag(ns, "crm")
	waitReason(t, crm, v1.ReasonAdoptionRefused, approval)
	unchanged("nobody approved the adoption")

	admin := func(mutate func(*emulator.Application)) {
		t.Helper()
		if err := tenant.UpdateApplication(portal.ID, mutate); err != nil {
			t.Fatal(err)
		}
		portal, _ = tenant.Application(portal.ID)
	}
	// An administrator approves, but the operator, holding only Application.ReadWrite.OwnedBy, is
	// not one of the application's owners yet.
	admin(func(a *emulator.Application) { a.Tags = append(a.Tags, approval) })
	touch(t, crm, "approved")
	waitReason(t, crm, v1.ReasonAdoptionRefused, "owners")
	unchanged("the operator does not own the application")

	admin(func(a *emulator.Application) { a.Owners = append(a.Owners, operatorSP.ID) })
	touch(t, crm, "owner")
	got := waitReady(t, client.ObjectKeyFromObject(crm))
	checkAdopted(t, server, tenant, portal, portalSecret, got)

	// Another object approved by the administrator by mistake cannot take the application over,
	// and deleting it leaves the application alone.
	admin(func(a *emulator.Application) { a.Tags = append(a.Tags, v1.AdoptionTag(ns, "thief")) })
	thief := adopting("thief")
	thief.Spec.Web.RedirectURIs = []v1.RedirectURI{"https://evil.example.com/steal"}
	if err := k8sClient.Create(ctx, thief); err != nil {
		t.Fatal(err)
	}
	waitReason(t, thief, v1.ReasonAdoptionRefused, "another AppRegistration manages it")
	deleteAndWait(t, thief)
	if app, ok := tenant.Application(portal.ID); !ok || !slices.Equal(app.Web.RedirectURIs, []string{"https://crm.example.com/oauth-callback.php"}) {
		t.Fatalf("the second object changed or deleted the adopted application: %v %v", ok, app.Web.RedirectURIs)
	}

	// Orphan hands the application back: the operator's secret and mark go, the rest stays.
	setDeletionPolicy(t, crm, v1.DeletionPolicyOrphan)
	deleteAndWait(t, crm)
	checkReleased(t, tenant, portal, portalSecret)

	// Adopted again by a new object of the same name (the approval still stands), then deleted.
	again := adopting("crm")
	if err := k8sClient.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	waitReady(t, client.ObjectKeyFromObject(again))
	deleteAndWait(t, again)
	if _, ok := tenant.Application(portal.ID); ok {
		t.Error("deletionPolicy Delete left the adopted application in Entra ID")
	}
}

func setDeletionPolicy(t *testing.T, obj *v1.AppRegistration, policy v1.DeletionPolicy) {
	t.Helper()
	cur := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.DeletionPolicy = policy
	if err := k8sClient.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
}

func deleteAndWait(t *testing.T, obj *v1.AppRegistration) {
	t.Helper()
	if err := k8sClient.Delete(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, obj.Name+" to be gone", func() (bool, string) {
		err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), &v1.AppRegistration{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

// checkAdopted proves an adoption as the team sees it: the same application, marked, following the
// spec, the portal's secret kept beside the operator's, which signs in.
func checkAdopted(t *testing.T, server *emulator.Server, tenant *emulator.Tenant, portal emulator.Application, portalSecret string, got *v1.AppRegistration) {
	t.Helper()
	ctx := context.Background()
	app, _ := tenant.Application(portal.ID)
	if got.Status.AppID != portal.AppID || got.Status.ObjectID != portal.ID {
		t.Errorf("status names application %s (%s), want the adopted %s (%s)", got.Status.AppID, got.Status.ObjectID, portal.AppID, portal.ID)
	}
	want := []string{"team:crm", v1.AdoptionTag(got.Namespace, got.Name), v1.OwnerTag(got.UID)}
	if !slices.Equal(app.Tags, want) {
		t.Errorf("tags %v, want %v: the administrator's tags kept and the operator's mark added", app.Tags, want)
	}
	if app.DisplayName != got.Spec.DisplayName || !slices.Equal(app.Web.RedirectURIs, []string{"https://crm.example.com/oauth-callback.php"}) {
		t.Errorf("the adopted application does not follow the spec: %q %v", app.DisplayName, app.Web.RedirectURIs)
	}
	if len(app.PasswordCredentials) != 2 || !slices.ContainsFunc(app.PasswordCredentials, func(p emulator.PasswordCredential) bool { return p.Matches(portalSecret) }) {
		t.Errorf("%d client secrets; want the portal's, kept, and the operator's", len(app.PasswordCredentials))
	}
	for _, a := range tenant.Applications() {
		if a.UniqueName != nil && strings.Contains(*a.UniqueName, string(got.UID)) {
			t.Errorf("the operator made an application %s instead of adopting", a.AppID)
		}
	}
	secret := &corev1.Secret{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: got.Namespace, Name: got.SecretName()}, secret); err != nil {
		t.Fatal(err)
	}
	if id := string(secret.Data[secretdata.KeyClientID]); id != portal.AppID {
		t.Errorf("the Secret's client ID is %s, want the adopted %s", id, portal.AppID)
	}
	if ok, detail := secretWorks(server, tenant, portal.AppID, string(secret.Data[secretdata.KeyClientSecret])); !ok {
		t.Errorf("the operator's client secret for the adopted application gets no token: %s", detail)
	}
}

// checkReleased proves deletionPolicy Orphan handed the application back with only what the
// operator added taken away.
func checkReleased(t *testing.T, tenant *emulator.Tenant, portal emulator.Application, portalSecret string) {
	t.Helper()
	app, ok := tenant.Application(portal.ID)
	switch {
	case !ok:
		t.Fatal("deletionPolicy Orphan deleted the adopted application")
	case slices.ContainsFunc(app.Tags, func(tag string) bool { return strings.HasPrefix(tag, v1.OwnerTagPrefix) }):
		t.Errorf("the operator's mark stayed on the released application: %v", app.Tags)
	case len(app.PasswordCredentials) != 1 || !app.PasswordCredentials[0].Matches(portalSecret):
		t.Errorf("%d client secrets after release; want only the portal's", len(app.PasswordCredentials))
	}
}
