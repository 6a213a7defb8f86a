package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

func TestConsentSampleGetsTheRolesProofAndAReport(t *testing.T) {
	obj := entrav1alpha1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "phone-directory-sync"},
		Spec: entrav1alpha1.AppRegistrationSpec{Permissions: []entrav1alpha1.ResourcePermissions{
			{Resource: entrav1alpha1.ResourceMicrosoftGraph, Application: []entrav1alpha1.PermissionName{"User.Read.All"}},
		}},
	}
	if got := proversFor(obj); len(got) != len(secretproof.Provers) {
		t.Errorf("without consent: %d provers, want the %d every Secret gets", len(got), len(secretproof.Provers))
	}
	obj.Status.Conditions = []metav1.Condition{{Type: entrav1alpha1.ConditionConsentGranted, Status: metav1.ConditionTrue, Reason: "Synced"}}
	obj.Status.Consent = &entrav1alpha1.ConsentStatus{Granted: []entrav1alpha1.ResourcePermissions{
		{Resource: entrav1alpha1.MicrosoftGraphAppID, Delegated: []entrav1alpha1.PermissionName{"openid"},
			Application: []entrav1alpha1.PermissionName{"User.Read.All", "Calendars.Read"}},
		{Resource: entrav1alpha1.ResourceExchangeOnline, Application: []entrav1alpha1.PermissionName{"SMTP.SendAsApp"}},
	}}
	got := proversFor(obj)
	if len(got) != len(secretproof.Provers)+1 || got[len(got)-1].Name != secretproof.GraphRoles(nil).Name {
		t.Fatalf("with Graph roles consented the roles proof is missing: %d provers", len(got))
	}
	if roles := grantedGraphRoles(obj); strings.Join(roles, ",") != "User.Read.All,Calendars.Read" {
		t.Errorf("grantedGraphRoles = %v, want Graph's only", roles)
	}
	obj.Status.Consent.AdminConsentURL = "https://login.example/t/v2.0/adminconsent?client_id=x"
	var out bytes.Buffer
	writeConsent(&out, obj)
	for _, want := range []string{"admin consent    True (Synced)", "application User.Read.All, Calendars.Read", "ExchangeOnline: application SMTP.SendAsApp",
		"https://login.example/t/v2.0/adminconsent?client_id=x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	// Every permission the consent sample asks for is on the demo's allow-list, so the demo shows
	// consent granted rather than refused.
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "entra_v1alpha1_appregistration_consent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var sample entrav1alpha1.AppRegistration
	if err := yaml.UnmarshalStrict(raw, &sample); err != nil {
		t.Fatal(err)
	}
	policy, err := permissions.ParsePolicy(demoConsentAllow)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, p := range sample.Spec.Permissions {
		for kind, list := range map[permissions.Kind][]entrav1alpha1.PermissionName{permissions.Delegated: p.Delegated, permissions.Application: p.Application} {
			for _, name := range list {
				asked++
				if ref := (permissions.Ref{AppID: permissions.AppIDOf(p.Resource), Kind: kind, Name: string(name)}); !policy.Allows(ref) {
					t.Errorf("the demo does not allow %s, which the consent sample asks for", ref)
				}
			}
		}
	}
	if asked == 0 || !sample.Spec.AdminConsent {
		t.Errorf("the consent sample asks for %d permissions with adminConsent %v", asked, sample.Spec.AdminConsent)
	}
}
