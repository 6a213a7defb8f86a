package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/testenv"
)

// k8sClient talks to an envtest API server that serves the generated CRD, so these tests prove what
// `kubectl apply` of a manifest would meet, not what the Go types allow.
var k8sClient client.Client

func TestMain(m *testing.M) {
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8sClient, err = client.New(env.Config, client.Options{Scheme: scheme.Scheme})
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// validEspoCRM is a complete, valid manifest; each refusal case below breaks exactly one rule of it.
func validEspoCRM(name string) *v1.AppRegistration {
	return &v1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.AppRegistrationSpec{
			DisplayName: "EspoCRM (production)",
			Web: &v1.WebApplication{
				RedirectURIs:  []v1.RedirectURI{"https://crm.example.com/oauth-callback.php", "http://localhost:8080/oauth-callback.php"},
				HomePageURL:   "https://crm.example.com/",
				LogoutURL:     "https://crm.example.com/logout",
				ImplicitGrant: v1.ImplicitGrant{IDTokens: true},
			},
			SPA:          &v1.SinglePageApplication{RedirectURIs: []v1.RedirectURI{"https://crm.example.com/spa"}},
			PublicClient: &v1.PublicClientApplication{RedirectURIs: []v1.PublicClientRedirectURI{"msal0000://auth", "http://127.0.0.1:4000"}},
			OptionalClaims: &v1.OptionalClaims{
				IDToken:     []v1.OptionalClaim{{Name: "email"}, {Name: "groups", AdditionalProperties: []v1.OptionalClaimProperty{"emit_as_roles"}}},
				AccessToken: []v1.OptionalClaim{{Name: "upn", Essential: true}},
			},
			GroupMembershipClaims: v1.GroupMembershipClaimsSecurityGroup,
			Secret:                v1.SecretTarget{Name: "espocrm-oidc"},
			DeletionPolicy:        v1.DeletionPolicyOrphan,
		},
	}
}

func uris(n int) []v1.RedirectURI {
	out := make([]v1.RedirectURI, n)
	for i := range out {
		out[i] = v1.RedirectURI(fmt.Sprintf("https://crm.example.com/cb/%d", i))
	}
	return out
}

func TestValidManifestIsAcceptedAndDefaulted(t *testing.T) {
	ctx := context.Background()
	in := validEspoCRM("valid")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatalf("a valid manifest was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, in) })

	minimal := &v1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Name: "minimal", Namespace: "default"},
		Spec:       v1.AppRegistrationSpec{DisplayName: "x"},
	}
	if err := k8sClient.Create(ctx, minimal); err != nil {
		t.Fatalf("a minimal manifest was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, minimal) })
	got := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(minimal), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.SignInAudience != v1.AudienceMyOrg || got.Spec.DeletionPolicy != v1.DeletionPolicyDelete {
		t.Errorf("defaults: signInAudience=%q deletionPolicy=%q, want AzureADMyOrg and Delete",
			got.Spec.SignInAudience, got.Spec.DeletionPolicy)
	}
	if got.SecretName() != "minimal" {
		t.Errorf("SecretName() = %q, want the object's name", got.SecretName())
	}

	personal := validEspoCRM("personal-100")
	personal.Spec.SignInAudience = v1.AudiencePersonal
	personal.Spec.Web.RedirectURIs = uris(97)
	if err := k8sClient.Create(ctx, personal); err != nil {
		t.Fatalf("100 redirect URIs in all with a personal audience were refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, personal) })

	many := validEspoCRM("work-256")
	many.Spec.Web.RedirectURIs = uris(253)
	if err := k8sClient.Create(ctx, many); err != nil {
		t.Fatalf("256 redirect URIs in all with a work audience were refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, many) })
}

func TestInvalidManifestsAreRefusedNamingTheField(t *testing.T) {
	long := "https://crm.example.com/" + strings.Repeat("a", 256-len("https://crm.example.com/")+1)
	cases := []struct {
		name    string
		breakIt func(*v1.AppRegistration)
		// field and message must both appear in the API server's answer.
		field, message string
	}{
		{"web redirect URI uses http for a public host", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = "http://crm.example.com/oauth-callback.php"
		}, "spec.web.redirectUris[0]", "must use https; http is allowed only for localhost"},
		{"spa redirect URI uses http for a public host", func(a *v1.AppRegistration) {
			a.Spec.SPA.RedirectURIs[0] = "http://crm.example.com/spa"
		}, "spec.spa.redirectUris[0]", "must use https"},
		{"public client redirect URI uses http for a public host", func(a *v1.AppRegistration) {
			a.Spec.PublicClient.RedirectURIs[0] = "http://crm.example.com/native"
		}, "spec.publicClient.redirectUris[0]", "must not use http except for localhost"},
		{"logout URL uses http for a public host", func(a *v1.AppRegistration) {
			a.Spec.Web.LogoutURL = "http://crm.example.com/"
		}, "spec.web.logoutUrl", "must use https"},
		{"web redirect URI hides its host behind user information", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = "https://crm.example.com@evil.example/oauth-callback.php"
		}, "spec.web.redirectUris[0]", "must not contain user information"},
		{"spa redirect URI has user information", func(a *v1.AppRegistration) {
			a.Spec.SPA.RedirectURIs[0] = "https://user:pw@crm.example.com/spa"
		}, "spec.spa.redirectUris[0]", "must not contain user information"},
		{"public client redirect URI has user information", func(a *v1.AppRegistration) {
			a.Spec.PublicClient.RedirectURIs[0] = "msal0000://crm.example.com@evil.example/auth"
		}, "spec.publicClient.redirectUris[0]", "must not contain user information"},
		{"logout URL hides its host behind user information", func(a *v1.AppRegistration) {
			a.Spec.Web.LogoutURL = "https://crm.example.com@evil.example/"
		}, "spec.web.logoutUrl", "must not contain user information"},
		{"web redirect URI has a fragment", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = "https://crm.example.com/oauth-callback.php#x"
		}, "spec.web.redirectUris[0]", "must not contain a fragment"},
		{"public client redirect URI has a fragment", func(a *v1.AppRegistration) {
			a.Spec.PublicClient.RedirectURIs[0] = "msal0000://auth#x"
		}, "spec.publicClient.redirectUris[0]", "must not contain a fragment"},
		{"logout URL has a fragment", func(a *v1.AppRegistration) {
			a.Spec.Web.LogoutURL = "https://crm.example.com/logout#now"
		}, "spec.web.logoutUrl", "must not contain a fragment"},
		{"redirect URI is not absolute", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = "/oauth-callback.php"
		}, "spec.web.redirectUris[0]", "must be an absolute URI"},
		{"redirect URI is longer than 256 characters", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = v1.RedirectURI(long)
		}, "spec.web.redirectUris[0]", "256"},
		{"redirect URI repeats", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[1] = a.Spec.Web.RedirectURIs[0]
		}, "spec.web.redirectUris[1]", "Duplicate value"},
		{"more than 256 redirect URIs in all", func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs = uris(255) // + 1 spa + 2 public client
		}, "spec", "at most 256 URIs together"},
		{"more than 100 redirect URIs with a personal-account audience", func(a *v1.AppRegistration) {
			a.Spec.SignInAudience = v1.AudienceOrgsAndPersonal
			a.Spec.Web.RedirectURIs = uris(99)
		}, "spec", "at most 100 URIs together when signInAudience admits personal Microsoft accounts"},
		{"displayName is empty", func(a *v1.AppRegistration) {
			a.Spec.DisplayName = ""
		}, "spec.displayName", "at least 1 chars long"},
		{"displayName is longer than 120 characters", func(a *v1.AppRegistration) {
			a.Spec.DisplayName = strings.Repeat("x", 121)
		}, "spec.displayName", "may not be more than 120"},
		{"signInAudience is not one Entra knows", func(a *v1.AppRegistration) {
			a.Spec.SignInAudience = "AzureADMyOrgs"
		}, "spec.signInAudience", `Unsupported value: "AzureADMyOrgs"`},
		{"optional claim is not one Entra knows", func(a *v1.AppRegistration) {
			a.Spec.OptionalClaims.IDToken[0].Name = "mail"
		}, "spec.optionalClaims.idToken[0].name", `Unsupported value: "mail"`},
		{"optional claim property is not one Entra knows", func(a *v1.AppRegistration) {
			a.Spec.OptionalClaims.IDToken[1].AdditionalProperties[0] = "as_roles"
		}, "spec.optionalClaims.idToken[1].additionalProperties[0]", `Unsupported value: "as_roles"`},
		{"groupMembershipClaims is not one Entra knows", func(a *v1.AppRegistration) {
			a.Spec.GroupMembershipClaims = "Groups"
		}, "spec.groupMembershipClaims", `Unsupported value: "Groups"`},
		{"deletionPolicy is unknown", func(a *v1.AppRegistration) {
			a.Spec.DeletionPolicy = "Keep"
		}, "spec.deletionPolicy", `Unsupported value: "Keep"`},
		{"secret name is not a DNS subdomain", func(a *v1.AppRegistration) {
			a.Spec.Secret.Name = "EspoCRM_OIDC"
		}, "spec.secret.name", "should match"},
	}
	for i, c := range []string{"*", "!", "$", "'", "(", ")", ",", ";"} {
		cases = append(cases, struct {
			name           string
			breakIt        func(*v1.AppRegistration)
			field, message string
		}{fmt.Sprintf("redirect URI contains %q", c), func(a *v1.AppRegistration) {
			a.Spec.Web.RedirectURIs[0] = v1.RedirectURI("https://crm.example.com/cb" + c + fmt.Sprint(i))
		}, "spec.web.redirectUris[0]", "must not contain any of the characters * ! $ ' ( ) , ;"})
	}

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := validEspoCRM(fmt.Sprintf("bad-%d", i))
			tc.breakIt(obj)
			expectRefused(t, obj, tc.name, tc.field, tc.message)
		})
	}
}

func TestConnectionIsImmutable(t *testing.T) {
	ctx := context.Background()
	obj := validEspoCRM("pinned")
	obj.Spec.Connection = "contoso"
	if err := k8sClient.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, obj) })
	for _, next := range []string{"fabrikam", ""} {
		changed := obj.DeepCopy()
		changed.Spec.Connection = next
		err := k8sClient.Update(ctx, changed)
		if err == nil || !strings.Contains(err.Error(), "connection is immutable") {
			t.Errorf("changing spec.connection to %q: %v, want a refusal naming the field", next, err)
		}
	}
}

func TestEntraConnectionNeedsExactlyOneCredential(t *testing.T) {
	ctx := context.Background()
	conn := func(name string, creds v1.ConnectionCredentials) *v1.EntraConnection {
		creds.ClientID = "11111111-2222-3333-4444-555555555555"
		return &v1.EntraConnection{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.EntraConnectionSpec{
			TenantID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", Credentials: creds,
			Namespaces: v1.NamespaceSelection{Names: []string{"crm"}},
		}}
	}
	secret := &v1.ConnectionSecretKeyRef{Name: "contoso"}
	good := conn("one-credential", v1.ConnectionCredentials{ClientSecret: secret})
	if err := k8sClient.Create(ctx, good); err != nil {
		t.Fatalf("a connection with a client secret was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, good) })
	if good.Spec.Cloud != "AzurePublic" {
		t.Errorf("cloud defaulted to %q", good.Spec.Cloud)
	}
	for name, creds := range map[string]v1.ConnectionCredentials{
		"no-credential":  {},
		"two-credential": {ClientSecret: secret, WorkloadIdentity: &v1.WorkloadIdentityCredential{}},
	} {
		err := k8sClient.Create(ctx, conn(name, creds))
		if err == nil || !strings.Contains(err.Error(), "spec.credentials") || !strings.Contains(err.Error(), "exactly one of") {
			t.Errorf("%s: %v, want a refusal naming spec.credentials", name, err)
		}
	}
	insecure := conn("http-authority", v1.ConnectionCredentials{ClientSecret: secret})
	insecure.Spec.AuthorityHost = "http://login.example.com/"
	if err := k8sClient.Create(ctx, insecure); err == nil || !strings.Contains(err.Error(), "spec.authorityHost") {
		t.Errorf("an http authority: %v, want a refusal naming spec.authorityHost", err)
	}
}

// expectRefused creates obj, which breaks a rule (what), and expects the API server to refuse it
// with a 422 naming field with message.
func expectRefused(t *testing.T, obj *v1.AppRegistration, what, field, message string) {
	t.Helper()
	err := k8sClient.Create(context.Background(), obj)
	if err == nil {
		_ = k8sClient.Delete(context.Background(), obj)
		t.Fatalf("the API server accepted a manifest where %s", what)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want a 422 Invalid error, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, field+":") || !strings.Contains(msg, message) {
		t.Errorf("error does not name %q with %q:\n%s", field, message, msg)
	}
}
