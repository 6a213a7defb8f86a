package policy

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

func crm() v1.AppRegistrationSpec {
	return v1.AppRegistrationSpec{
		DisplayName:    "CRM",
		SignInAudience: v1.AudienceMyOrg,
		Web: &v1.WebApplication{
			RedirectURIs: []v1.RedirectURI{"https://crm.example.com/oauth-callback.php", "http://localhost:8080/cb"},
			LogoutURL:    "https://crm.example.com/logout",
			HomePageURL:  "https://www.example.com/",
		},
		SPA:          &v1.SinglePageApplication{RedirectURIs: []v1.RedirectURI{"https://app.crm.example.com/"}},
		PublicClient: &v1.PublicClientApplication{RedirectURIs: []v1.PublicClientRedirectURI{"msal0000://auth"}},
	}
}

func TestCheck(t *testing.T) {
	strict := v1.RegistrationPolicy{
		AllowedSignInAudiences: []v1.SignInAudience{v1.AudienceMyOrg},
		AllowedRedirectHosts:   []v1.RedirectHost{".example.com", "localhost", "auth"},
		AllowImplicitGrant:     ptr.To(false),
		AllowPublicClientFlows: ptr.To(false),
	}
	cases := []struct {
		name   string
		spec   func(*v1.AppRegistrationSpec)
		policy v1.RegistrationPolicy
		want   []string // "field|rule" per violation, in order
	}{
		{"no policy allows anything", func(s *v1.AppRegistrationSpec) {
			s.SignInAudience = v1.AudiencePersonal
			s.Web.ImplicitGrant.AccessTokens = true
		}, v1.RegistrationPolicy{}, nil},
		{"a spec inside the policy", func(*v1.AppRegistrationSpec) {}, strict, nil},
		{"an unset audience is AzureADMyOrg", func(s *v1.AppRegistrationSpec) { s.SignInAudience = "" }, strict, nil},
		{"a multi-tenant audience", func(s *v1.AppRegistrationSpec) { s.SignInAudience = v1.AudienceMultipleOrgs },
			strict, []string{"spec.signInAudience|allowedSignInAudiences"}},
		{"a redirect URI on a foreign host", func(s *v1.AppRegistrationSpec) {
			s.Web.RedirectURIs[1] = "https://evil.example.net/cb"
		}, strict, []string{"spec.web.redirectUris[1]|allowedRedirectHosts"}},
		{"a suffix does not match a look-alike or its own apex", func(s *v1.AppRegistrationSpec) {
			s.Web.LogoutURL = "https://badexample.com/"
			s.Web.HomePageURL = "https://example.com/"
		}, strict, []string{"spec.web.logoutUrl|allowedRedirectHosts", "spec.web.homePageUrl|allowedRedirectHosts"}},
		{"hosts are compared without case or a trailing dot", func(s *v1.AppRegistrationSpec) {
			s.SPA.RedirectURIs[0] = "https://APP.Crm.Example.com./"
		}, strict, nil},
		{"a native client's custom scheme is judged by its host", func(s *v1.AppRegistrationSpec) {
			s.PublicClient.RedirectURIs[0] = "msal0000://elsewhere"
		}, strict, []string{"spec.publicClient.redirectUris[0]|allowedRedirectHosts"}},
		{"a suffix never matches an IP address", func(s *v1.AppRegistrationSpec) {
			s.Web.RedirectURIs[0] = "https://10.0.0.1/cb"
		}, v1.RegistrationPolicy{AllowedRedirectHosts: []v1.RedirectHost{".0.0.1", "localhost", ".example.com", "auth"}},
			[]string{"spec.web.redirectUris[0]|allowedRedirectHosts"}},
		{"implicit grant", func(s *v1.AppRegistrationSpec) {
			s.Web.ImplicitGrant = v1.ImplicitGrant{IDTokens: true, AccessTokens: true}
		}, strict, []string{"spec.web.implicitGrant.idTokens|allowImplicitGrant", "spec.web.implicitGrant.accessTokens|allowImplicitGrant"}},
		{"implicit grant allowed when the policy says nothing", func(s *v1.AppRegistrationSpec) {
			s.Web.ImplicitGrant.IDTokens = true
		}, v1.RegistrationPolicy{AllowedRedirectHosts: strict.AllowedRedirectHosts}, nil},
		{"public client flows", func(s *v1.AppRegistrationSpec) { s.PublicClient.AllowPublicClientFlows = true },
			strict, []string{"spec.publicClient.allowPublicClientFlows|allowPublicClientFlows"}},
		{"permissions inside the allowed ones", func(s *v1.AppRegistrationSpec) {
			s.Permissions = []v1.ResourcePermissions{{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid", "User.Read"},
				Application: []v1.PermissionName{"user.read.all"}}}
		}, v1.RegistrationPolicy{AllowedPermissions: []string{"MicrosoftGraph:delegated:*", "MicrosoftGraph:application:User.Read.All"}}, nil},
		{"a permission outside the allowed ones", func(s *v1.AppRegistrationSpec) {
			s.Permissions = []v1.ResourcePermissions{
				{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid"}, Application: []v1.PermissionName{"Directory.ReadWrite.All"}},
				{Resource: v1.ResourceExchangeOnline, Application: []v1.PermissionName{"full_access_as_app"}},
			}
		}, v1.RegistrationPolicy{AllowedPermissions: []string{"MicrosoftGraph:delegated:*", "MicrosoftGraph:application:User.Read.All"}},
			[]string{"spec.permissions[0].application[0]|allowedPermissions", "spec.permissions[1].application[0]|allowedPermissions"}},
		{"an unreadable allow-list allows nothing", func(s *v1.AppRegistrationSpec) {
			s.Permissions = []v1.ResourcePermissions{{Resource: v1.ResourceMicrosoftGraph, Delegated: []v1.PermissionName{"openid"}}}
		}, v1.RegistrationPolicy{AllowedPermissions: []string{"Nowhere:delegated:*"}}, []string{"spec.permissions|allowedPermissions"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := crm()
			c.spec(&spec)
			var got []string
			for _, v := range Check(spec, c.policy) {
				got = append(got, v.Field+"|"+v.Rule)
				if v.Message == "" || !strings.Contains(v.String(), v.Rule) {
					t.Errorf("violation %+v does not explain itself", v)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("violations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestAdmits(t *testing.T) {
	sel := v1.NamespaceSelection{
		Names:    []string{"crm"},
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"entra.sso-operator.io/tenant": "contoso"}},
	}
	cases := []struct {
		sel       v1.NamespaceSelection
		namespace string
		labels    map[string]string
		want      bool
	}{
		{sel, "crm", nil, true},
		{sel, "mail", map[string]string{"entra.sso-operator.io/tenant": "contoso"}, true},
		{sel, "mail", map[string]string{"entra.sso-operator.io/tenant": "fabrikam"}, false},
		{v1.NamespaceSelection{}, "crm", nil, false},
		{v1.NamespaceSelection{Selector: &metav1.LabelSelector{}}, "anything", nil, true},
	}
	for _, c := range cases {
		got, err := Admits(c.sel, c.namespace, c.labels)
		if err != nil || got != c.want {
			t.Errorf("Admits(%+v, %s, %v) = %v, %v; want %v", c.sel, c.namespace, c.labels, got, err, c.want)
		}
	}
	bad := v1.NamespaceSelection{Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}
	if _, err := Admits(bad, "crm", nil); err == nil {
		t.Error("an invalid selector was accepted")
	}
}
