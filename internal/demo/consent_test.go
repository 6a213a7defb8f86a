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

// A Generic Secret gets every Generic proof, and the roles proof once Graph roles hold consent;
// each CRM format gets the proof that plays its CRM.
func TestProversFollowTheFormatAndTheConsent(t *testing.T) {
	const authority = "https://127.0.0.1:18443/"
	obj := entrav1alpha1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "phone-directory-sync"},
		Spec: entrav1alpha1.AppRegistrationSpec{Permissions: []entrav1alpha1.ResourcePermissions{
			{Resource: entrav1alpha1.ResourceMicrosoftGraph, Application: []entrav1alpha1.PermissionName{"User.Read.All"}},
		}},
	}
	if got := proversFor(obj, authority); len(got) != len(secretproof.Provers) {
		t.Errorf("without consent: %d provers, want the %d every Secret gets", len(got), len(secretproof.Provers))
	}
	obj.Status.Conditions = []metav1.Condition{{Type: entrav1alpha1.ConditionConsentGranted, Status: metav1.ConditionTrue, Reason: "Synced"}}
	obj.Status.Consent = &entrav1alpha1.ConsentStatus{Granted: []entrav1alpha1.ResourcePermissions{
		{Resource: entrav1alpha1.MicrosoftGraphAppID, Delegated: []entrav1alpha1.PermissionName{"openid"},
			Application: []entrav1alpha1.PermissionName{"User.Read.All", "Calendars.Read"}},
		{Resource: entrav1alpha1.ResourceExchangeOnline, Application: []entrav1alpha1.PermissionName{"SMTP.SendAsApp"}},
	}}
	got := proversFor(obj, authority)
	if len(got) != len(secretproof.Provers)+1 || got[len(got)-1].Name != secretproof.GraphRoles(nil).Name {
		t.Fatalf("with Graph roles consented the roles proof is missing: %d provers", len(got))
	}
	if roles := grantedGraphRoles(obj); strings.Join(roles, ",") != "User.Read.All,Calendars.Read" {
		t.Errorf("grantedGraphRoles = %v, want Graph's only", roles)
	}
	for format, want := range map[entrav1alpha1.SecretFormat]string{
		entrav1alpha1.SecretFormatEspoCRM: secretproof.EspoCRM("", "").Name,
		entrav1alpha1.SecretFormatOroCRM:  secretproof.OroCRM("", "").Name,
		entrav1alpha1.SecretFormatSMTP:    secretproof.SMTP("").Name,
		entrav1alpha1.SecretFormatThreeCX: secretproof.ThreeCX("", nil).Name,
	} {
		obj.Spec.Secret.Format = format
		if got := proversFor(obj, authority); len(got) != 1 || got[0].Name != want {
			t.Errorf("%s: provers %v, want %q alone", format, got, want)
		}
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
}

// Every permission the samples ask consent for is on the demo's allow-list, so the demo shows
// consent granted rather than refused, and nothing else is.
func TestTheAllowListIsExactlyWhatTheSamplesAsk(t *testing.T) {
	policy, err := permissions.ParsePolicy(demoConsentAllow)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "entra_v1alpha1_appregistration_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	asked := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sample entrav1alpha1.AppRegistration
		if err := yaml.UnmarshalStrict(raw, &sample); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !sample.Spec.AdminConsent {
			continue
		}
		for _, p := range sample.Spec.Permissions {
			for kind, list := range map[permissions.Kind][]entrav1alpha1.PermissionName{permissions.Delegated: p.Delegated, permissions.Application: p.Application} {
				for _, name := range list {
					ref := permissions.Ref{AppID: permissions.AppIDOf(p.Resource), Kind: kind, Name: string(name)}
					asked[ref.String()] = true
					if !policy.Allows(ref) {
						t.Errorf("the demo does not allow %s, which %s asks for", ref, filepath.Base(f))
					}
				}
			}
		}
	}
	if n := len(strings.Split(demoConsentAllow, ",")); n != len(asked) {
		t.Errorf("the allow-list has %d rules, the samples ask for %d permissions: %v", n, len(asked), asked)
	}
}
