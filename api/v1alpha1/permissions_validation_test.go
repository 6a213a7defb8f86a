package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// withPermissions is a valid manifest declaring the OroCRM mail scopes, 3CX's application
// permissions and an Exchange Online app role, by alias and by GUID.
func withPermissions(name string) *v1.AppRegistration {
	obj := validEspoCRM(name)
	obj.Spec.Permissions = []v1.ResourcePermissions{
		{
			Resource:    v1.ResourceMicrosoftGraph,
			Delegated:   []v1.PermissionName{"openid", "profile", "email", "offline_access", "User.Read", "IMAP.AccessAsUser.All", "SMTP.Send"},
			Application: []v1.PermissionName{"User.Read.All", "Calendars.Read", "Contacts.Read", "Mail.Send"},
		},
		{Resource: v1.ExchangeOnlineAppID, Application: []v1.PermissionName{"full_access_as_app"}},
		{Resource: "6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0", Delegated: []v1.PermissionName{"user_impersonation"}},
	}
	obj.Spec.AdminConsent = true
	return obj
}

func names(prefix string, n int) []v1.PermissionName {
	out := make([]v1.PermissionName, n)
	for i := range out {
		out[i] = v1.PermissionName(fmt.Sprintf("%s.%d", prefix, i))
	}
	return out
}

func TestPermissionsAreAcceptedByNameAndGUID(t *testing.T) {
	ctx := context.Background()
	in := withPermissions("permissions-valid")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatalf("a valid manifest with permissions was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, in) })

	// 400 permissions in all is Entra's limit, and allowed.
	full := validEspoCRM("permissions-400")
	for i := range 4 {
		full.Spec.Permissions = append(full.Spec.Permissions, v1.ResourcePermissions{
			Resource:    v1.PermissionResource(fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i)),
			Delegated:   names("Scope", 50),
			Application: names("Role", 50),
		})
	}
	if err := k8sClient.Create(ctx, full); err != nil {
		t.Fatalf("400 permissions were refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, full) })
}

func TestInvalidPermissionsAreRefusedNamingTheField(t *testing.T) {
	cases := []struct {
		name           string
		breakIt        func(*v1.AppRegistration)
		field, message string
	}{
		{"resource is neither an alias nor a GUID", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Resource = "Graph"
		}, "spec.permissions[0].resource", "must be MicrosoftGraph, ExchangeOnline or the application ID (a GUID) of the resource"},
		{"resource GUID is malformed", func(a *v1.AppRegistration) {
			a.Spec.Permissions[2].Resource = "6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1cz"
		}, "spec.permissions[2].resource", "must be MicrosoftGraph"},
		{"a resource is named twice", func(a *v1.AppRegistration) {
			a.Spec.Permissions[2].Resource = v1.ResourceMicrosoftGraph
		}, "spec.permissions[2]", "Duplicate value"},
		{"a resource is named by alias and by GUID", func(a *v1.AppRegistration) {
			a.Spec.Permissions[1].Resource = v1.ResourceExchangeOnline
			a.Spec.Permissions[2].Resource = "00000003-0000-0000-C000-000000000000"
		}, "spec.permissions", "names a resource twice"},
		{"a delegated permission is named twice", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Delegated[1] = "openid"
		}, "spec.permissions[0].delegated[1]", "Duplicate value"},
		{"an application permission is named twice", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Application[3] = "User.Read.All"
		}, "spec.permissions[0].application[3]", "Duplicate value"},
		{"a permission name has a space", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Delegated[0] = "Mail Send"
		}, "spec.permissions[0].delegated[0]", "should match"},
		{"a permission is the .default scope suffix", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Application[0] = ".default"
		}, "spec.permissions[0].application[0]", "should match"},
		{"a permission is a full scope URI", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Delegated[0] = "https://graph.microsoft.com/User.Read"
		}, "spec.permissions[0].delegated[0]", "should match"},
		{"a permission name is longer than 120 characters", func(a *v1.AppRegistration) {
			a.Spec.Permissions[0].Delegated[0] = v1.PermissionName(strings.Repeat("a", 121))
		}, "spec.permissions[0].delegated[0]", "may not be more than 120"},
		{"a resource names no permission", func(a *v1.AppRegistration) {
			a.Spec.Permissions[1].Application = nil
		}, "spec.permissions[1]", "must name at least one delegated or application permission"},
		{"more than 100 delegated permissions on one resource", func(a *v1.AppRegistration) {
			a.Spec.Permissions[2].Delegated = names("Scope", 101)
		}, "spec.permissions[2].delegated", "must have at most 100 items"},
		{"more than 50 resources", func(a *v1.AppRegistration) {
			a.Spec.Permissions = nil
			for i := range 51 {
				a.Spec.Permissions = append(a.Spec.Permissions, v1.ResourcePermissions{
					Resource: v1.PermissionResource(fmt.Sprintf("00000000-0000-0000-0000-%012d", i)), Delegated: []v1.PermissionName{"x"},
				})
			}
		}, "spec.permissions", "must have at most 50 items"},
		{"more than 400 permissions in all", func(a *v1.AppRegistration) {
			a.Spec.Permissions = nil
			for i := range 5 {
				a.Spec.Permissions = append(a.Spec.Permissions, v1.ResourcePermissions{
					Resource: v1.PermissionResource(fmt.Sprintf("00000000-0000-0000-0000-%012d", i)), Delegated: names("Scope", 81),
				})
			}
		}, "spec.permissions", "may name at most 400 permissions in all"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := withPermissions(fmt.Sprintf("bad-permissions-%d", i))
			tc.breakIt(obj)
			expectRefused(t, obj, tc.name, tc.field, tc.message)
		})
	}
}
