package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// withSecret is the valid EspoCRM manifest with a spec.secret using everything it offers.
func withSecret(name string) *v1.AppRegistration {
	a := validEspoCRM(name)
	a.Spec.Secret = v1.SecretTarget{
		Name:        "espocrm-oidc",
		Format:      v1.SecretFormatEspoCRM,
		Templates:   []v1.SecretTemplate{{Key: "ESPOCRM_CONFIG_OIDC_SCOPES_HINT", Value: "{{ .TokenEndpoint }}"}, {Key: "crm.conf", Value: "x"}},
		Labels:      map[string]v1.LabelValue{"team": "crm", "example.com/tier": "gold", "empty": ""},
		Annotations: map[string]string{"reflector.v1.k8s.emberstack.com/reflection-allowed": "true"},
		Consumers:   []v1.SecretConsumer{{Kind: v1.ConsumerDeployment, Name: "espocrm"}, {Kind: v1.ConsumerStatefulSet, Name: "espocrm"}},
	}
	a.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	return a
}

func TestSecretSpecIsAcceptedAndTheFormatDefaultsToGeneric(t *testing.T) {
	ctx := context.Background()
	full := withSecret("secret-spec")
	if err := k8sClient.Create(ctx, full); err != nil {
		t.Fatalf("a valid spec.secret was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, full) })

	named := validEspoCRM("secret-name-only")
	if err := k8sClient.Create(ctx, named); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, named) })
	got := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(named), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Secret.Format != v1.SecretFormatGeneric {
		t.Errorf("spec.secret.format defaulted to %q, want Generic", got.Spec.Secret.Format)
	}

	threeCX := validEspoCRM("threecx-certificate")
	threeCX.Spec.Secret.Format = v1.SecretFormatThreeCX
	threeCX.Spec.Credentials = &v1.Credentials{Certificate: &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{}}}
	if err := k8sClient.Create(ctx, threeCX); err != nil {
		t.Fatalf("ThreeCX with a certificate was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, threeCX) })
}

func TestSecretSpecMistakesAreRefusedNamingTheField(t *testing.T) {
	cases := []struct {
		name           string
		breakIt        func(*v1.AppRegistration)
		field, message string
	}{
		{"an unknown format", func(a *v1.AppRegistration) { a.Spec.Secret.Format = "SuiteCRM" }, "spec.secret.format", `Unsupported value: "SuiteCRM"`},
		{"ThreeCX with a client secret", func(a *v1.AppRegistration) { a.Spec.Secret.Format = v1.SecretFormatThreeCX },
			"spec.secret.format", "the ThreeCX format carries no client secret"},
		{"EspoCRM with a certificate", func(a *v1.AppRegistration) {
			a.Spec.Credentials.Certificate = &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{}}
		}, "spec.secret.format", "carry no certificate"},
		{"a template key a Secret cannot have", func(a *v1.AppRegistration) { a.Spec.Secret.Templates[1].Key = "crm conf" },
			"spec.secret.templates[1].key", "should match"},
		{"a template key twice", func(a *v1.AppRegistration) { a.Spec.Secret.Templates[1].Key = a.Spec.Secret.Templates[0].Key },
			"spec.secret.templates[1]", "Duplicate value"},
		{"an empty template", func(a *v1.AppRegistration) { a.Spec.Secret.Templates[1].Value = "" },
			"spec.secret.templates[1].value", "at least 1 chars long"},
		{"a label key with two slashes", func(a *v1.AppRegistration) { a.Spec.Secret.Labels["a/b/c"] = "x" },
			"spec.secret.labels", "keys must be qualified names"},
		{"a label value with a space", func(a *v1.AppRegistration) { a.Spec.Secret.Labels["team"] = "crm team" },
			"spec.secret.labels.team", "should match"},
		{"a label value over 63 characters", func(a *v1.AppRegistration) { a.Spec.Secret.Labels["team"] = v1.LabelValue(strings.Repeat("a", 64)) },
			"spec.secret.labels.team", "may not be more than 63"},
		{"the operator's label", func(a *v1.AppRegistration) { a.Spec.Secret.Labels["entra.sso-operator.io/appregistration"] = "other" },
			"spec.secret.labels", "the operator's own"},
		{"managed-by", func(a *v1.AppRegistration) { a.Spec.Secret.Labels["app.kubernetes.io/managed-by"] = "helm" },
			"spec.secret.labels", "the operator's own"},
		{"the operator's annotation", func(a *v1.AppRegistration) {
			a.Spec.Secret.Annotations[secretdata.AnnotationClientSecretKeyID] = "forged"
		}, "spec.secret.annotations", "the operator's own"},
		{"an annotation key that is no qualified name", func(a *v1.AppRegistration) { a.Spec.Secret.Annotations["-x"] = "y" },
			"spec.secret.annotations", "keys must be qualified names"},
		{"a consumer of another kind", func(a *v1.AppRegistration) { a.Spec.Secret.Consumers[0].Kind = "DaemonSet" },
			"spec.secret.consumers[0].kind", `Unsupported value: "DaemonSet"`},
		{"a consumer in another namespace", func(a *v1.AppRegistration) { a.Spec.Secret.Consumers[0].Name = "other/espocrm" },
			"spec.secret.consumers[0].name", "should match"},
		{"a consumer twice", func(a *v1.AppRegistration) { a.Spec.Secret.Consumers[1].Kind = v1.ConsumerDeployment },
			"spec.secret.consumers[1]", "Duplicate value"},
	}
	// No template may take a key of the format, whichever it is: the CEL lists and secretdata agree.
	for _, f := range secretdata.Formats {
		for _, key := range secretdata.Keys(f) {
			cases = append(cases, struct {
				name           string
				breakIt        func(*v1.AppRegistration)
				field, message string
			}{fmt.Sprintf("a template of key %s in the %s format", key, f), func(a *v1.AppRegistration) {
				a.Spec.Secret.Format = v1.SecretFormat(f)
				a.Spec.Credentials = nil
				a.Spec.Secret.Templates[0].Key = v1.SecretKey(key)
			}, "spec.secret.templates", "may not write a key of the " + string(f) + " format"})
		}
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := withSecret(fmt.Sprintf("bad-secret-%d", i))
			tc.breakIt(obj)
			expectRefused(t, obj, tc.name, tc.field, tc.message)
		})
	}
}
