package controllers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// TestTheNamespaceScopedModeNeedsOnlyTheGeneratedRole runs the manager as --watch-namespaces does,
// signed in to Kubernetes as a user holding nothing but config/namespaced/role.yaml in one
// namespace. An object there goes through its whole life (Ready, Secret, deletion); one naming an
// EntraConnection is told the mode does not use them; one in another namespace is not touched.
func TestTheNamespaceScopedModeNeedsOnlyTheGeneratedRole(t *testing.T) {
	watched, other := newNamespace(t), newNamespace(t)
	ctx := context.Background()
	user, err := env.AddUser(envtest.User{Name: "entra-sso-operator-" + watched}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "config", "namespaced", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{}
	if err := yaml.UnmarshalStrict(raw, role); err != nil {
		t.Fatal(err)
	}
	role.Namespace = watched
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "entra-sso-operator", Namespace: watched},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "entra-sso-operator-" + watched}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	startManager(t, managerOptions{namespace: watched, namespaceScoped: true, connections: true,
		operatorNamespace: watched, restConfig: user.Config()})

	outside := espoCRM(other, "outside")
	if err := k8sClient.Create(ctx, outside); err != nil {
		t.Fatal(err)
	}
	named := espoCRM(watched, "named")
	named.Spec.Connection = "contoso"
	inside := espoCRM(watched, "inside")
	inside.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	for _, o := range []*v1.AppRegistration{named, inside} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got := waitReady(t, client.ObjectKeyFromObject(inside))
	if got.Status.SecretName == "" || got.Status.Credentials == nil {
		t.Errorf("status records no Secret or credentials: %+v", got.Status)
	}
	waitReason(t, named, v1.ReasonConnectionNotFound, "--watch-namespaces")
	deleteAndWait(t, inside)

	cur := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(outside), cur); err != nil {
		t.Fatal(err)
	}
	if len(cur.Finalizers) > 0 || len(cur.Status.Conditions) > 0 {
		t.Errorf("the object outside the watched namespace was touched: finalizers %v, conditions %v", cur.Finalizers, cur.Status.Conditions)
	}
	// The user really is confined to its namespace: the mode's claim rests on it.
	c, err := client.New(user.Config(), client.Options{Scheme: k8sClient.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(outside), &v1.AppRegistration{}); !apierrors.IsForbidden(err) {
		t.Errorf("reading an object outside the namespace: %v, want Forbidden", err)
	}
}
