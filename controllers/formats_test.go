package controllers_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// loadSample reads a manifest of config/samples, as kubectl apply would, into namespace ns.
func loadSample(t *testing.T, file, ns string) *v1.AppRegistration {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	obj := &v1.AppRegistration{}
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	obj.Namespace = ns
	return obj
}

// createWorkload creates a Deployment or StatefulSet that reads nothing; envtest runs no
// controllers, so it stays as created, and its pod template shows what the operator set on it.
func createWorkload(t *testing.T, ns string, kind v1.ConsumerKind, name string) {
	t.Helper()
	labels := map[string]string{"app": name}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{"kept": "yes"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "crm", Image: "espocrm/espocrm"}}},
	}
	var obj client.Object = &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}}
	if kind == v1.ConsumerStatefulSet {
		obj = &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}}
	}
	if err := k8sClient.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// podTemplateOf reads a workload's pod template annotations and its resourceVersion.
func podTemplateOf(t *testing.T, ns string, kind v1.ConsumerKind, name string) (map[string]string, string) {
	t.Helper()
	key := client.ObjectKey{Namespace: ns, Name: name}
	if kind == v1.ConsumerStatefulSet {
		sts := &appsv1.StatefulSet{}
		if err := k8sClient.Get(context.Background(), key, sts); err != nil {
			t.Fatal(err)
		}
		return sts.Spec.Template.Annotations, sts.ResourceVersion
	}
	d := &appsv1.Deployment{}
	if err := k8sClient.Get(context.Background(), key, d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Annotations, d.ResourceVersion
}

// TestEachSeedSystemSignsInWithOnlyItsSecret applies the four seed systems' samples as they are in
// config/samples and plays each CRM from its Secret alone: EspoCRM completes an authorization code
// sign-in and verifies the ID token's email claim with go-oidc; OroCRM gets a token carrying the
// mail scopes; the SMTP client redeems a refresh token for SMTP.Send; 3CX gets an app-only token
// with its four roles using the certificate. Each Secret holds exactly its format's keys.
func TestEachSeedSystemSignsInWithOnlyItsSecret(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentGrant, consentPolicy: mustPolicy(t, "MicrosoftGraph:delegated:*",
		"MicrosoftGraph:application:User.Read.All,MicrosoftGraph:application:Calendars.Read,MicrosoftGraph:application:Contacts.Read,MicrosoftGraph:application:Mail.Send")})
	ns := newNamespace(t)
	createWorkload(t, ns, v1.ConsumerDeployment, "espocrm")
	user := tenant.Users()[1]
	authority := emuCloud.AuthorityHost
	seeds := []struct {
		name, file string
		prover     func(obj *v1.AppRegistration) secretproof.Prover
		// want is what the proof's detail must say.
		want string
	}{
		{"EspoCRM", "entra_v1alpha1_appregistration_espocrm.yaml", func(obj *v1.AppRegistration) secretproof.Prover {
			return secretproof.EspoCRM(string(obj.Spec.Web.RedirectURIs[0]), user.UserPrincipalName)
		}, user.Mail + " signed in"},
		{"OroCRM", "entra_v1alpha1_appregistration_orocrm.yaml", func(obj *v1.AppRegistration) secretproof.Prover {
			return secretproof.OroCRM(authority, string(obj.Spec.Web.RedirectURIs[0]))
		}, "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send, with a refresh token"},
		{"SMTP", "entra_v1alpha1_appregistration_smtp.yaml", func(obj *v1.AppRegistration) secretproof.Prover {
			return secretproof.SMTP(string(obj.Spec.Web.RedirectURIs[0]))
		}, "carrying SMTP.Send, for AUTH XOAUTH2 at smtp.office365.com:587"},
		{"ThreeCX", "entra_v1alpha1_appregistration_threecx.yaml", func(*v1.AppRegistration) secretproof.Prover {
			return secretproof.ThreeCX(authority, strs(threeCXRoles))
		}, "carries exactly the consented roles Calendars.Read, Contacts.Read, Mail.Send, User.Read.All"},
	}
	objs := make([]*v1.AppRegistration, len(seeds))
	for i, s := range seeds {
		objs[i] = loadSample(t, s.file, ns)
		if err := k8sClient.Create(context.Background(), objs[i]); err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
	}
	var clientSecrets []string
	for i, s := range seeds {
		t.Run(s.name, func(t *testing.T) {
			key := client.ObjectKeyFromObject(objs[i])
			obj := waitReady(t, key)
			if obj.Spec.AdminConsent {
				obj = waitCondition(t, key, v1.ConditionConsentGranted, metav1.ConditionTrue, v1.ReasonSynced)
			}
			secret := outputSecret(t, obj)
			format := secretdata.Format(obj.Spec.Secret.Format)
			if got := slices.Sorted(maps.Keys(secret.Data)); !slices.Equal(got, secretdata.Keys(format)) {
				t.Errorf("Secret keys %v, want the %s format's %v", got, format, secretdata.Keys(format))
			}
			if secret.Annotations[secretdata.AnnotationFormat] != string(format) {
				t.Errorf("the Secret records format %q", secret.Annotations[secretdata.AnnotationFormat])
			}
			if k, _, _ := secretdata.CredentialKeys(format); k != "" {
				clientSecrets = append(clientSecrets, string(secret.Data[k]))
			}
			r := secretproof.Run(context.Background(), srv.HTTPClient(), secret.Data, []secretproof.Prover{s.prover(obj)})[0]
			if !r.Passed() {
				t.Fatalf("%s from Secret %s: err=%v missing=%v", r.Prover, secret.Name, r.Err, r.Missing)
			}
			if !strings.Contains(r.Detail, s.want) {
				t.Errorf("%s: %q does not say %q", r.Prover, r.Detail, s.want)
			}
			t.Logf("%s: %s", r.Prover, r.Detail)
		})
	}
	// The EspoCRM sample names its Deployment, which now carries the Secret's content hash.
	espo := waitReady(t, client.ObjectKeyFromObject(objs[0]))
	annotations, _ := podTemplateOf(t, ns, v1.ConsumerDeployment, "espocrm")
	if h := annotations[secretdata.AnnotationContentHash]; h == "" || h != espo.Status.SecretHash || h != secretdata.ContentHash(outputSecret(t, espo).Data) {
		t.Errorf("Deployment espocrm carries %q, status.secretHash %q", h, espo.Status.SecretHash)
	}
	assertNoSecretsLeaked(t, clientSecrets...)
}

// TestTemplatesLabelsAndAnnotationsFollowTheSpec: templates add keys for a CRM no format fits,
// labels and annotations reach the Secret, and what the spec drops goes while what others put on
// the Secret stays. A template that does not render makes Ready False with reason
// InvalidSecretTemplate and a message naming its key, without quoting a credential; the format's
// keys are still written and the template's key keeps its value until the template is fixed.
func TestTemplatesLabelsAndAnnotationsFollowTheSpec(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "suitecrm")
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	in.Spec.Secret.Templates = []v1.SecretTemplate{
		{Key: "SUITECRM_OAUTH_DSN", Value: "azure://{{ .ClientID }}:{{ .ClientSecret }}@{{ .TenantID }}"},
		{Key: "redirect-uris", Value: `{{ join .RedirectURIs "," }}`},
	}
	in.Spec.Secret.Labels = map[string]v1.LabelValue{"team": "crm", "tier": "gold"}
	in.Spec.Secret.Annotations = map[string]string{"example.com/owner": "crm-team"}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	if obj.Status.SecretHash != "" || obj.Status.Consumers != nil {
		t.Errorf("without consumers status records secretHash %q and consumers %v", obj.Status.SecretHash, obj.Status.Consumers)
	}
	secret := outputSecret(t, obj)
	clientSecret := string(secret.Data[secretdata.KeyClientSecret])
	if got, want := string(secret.Data["SUITECRM_OAUTH_DSN"]), "azure://"+obj.Status.AppID+":"+clientSecret+"@"+tenant.ID(); clientSecret == "" || got != want {
		t.Errorf("SUITECRM_OAUTH_DSN = %q, want %q", got, want)
	}
	if got := string(secret.Data["redirect-uris"]); got != "https://crm.example.com/oauth-callback.php" {
		t.Errorf("redirect-uris = %q", got)
	}
	if secret.Labels["team"] != "crm" || secret.Labels["tier"] != "gold" || secret.Labels[controllers.SecretLabel] != obj.Name ||
		secret.Annotations["example.com/owner"] != "crm-team" {
		t.Errorf("labels %v, annotations %v", secret.Labels, secret.Annotations)
	}

	// Someone else labels the Secret; the spec drops a label and changes a template.
	secret.Labels["argocd.argoproj.io/instance"] = "crm"
	secret.Annotations["reloader.stakater.com/match"] = "true"
	if err := k8sClient.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	changeSpec(t, obj, func(o *v1.AppRegistration) {
		o.Spec.Secret.Labels = map[string]v1.LabelValue{"tier": "silver"}
		o.Spec.Secret.Annotations = nil
		o.Spec.Secret.Templates[1].Value = "{{ index .RedirectURIs 0 }}"
	})
	waitFor(t, "the Secret to follow the spec", func() (bool, string) {
		s := outputSecret(t, obj)
		_, team := s.Labels["team"]
		_, owner := s.Annotations["example.com/owner"]
		return !team && !owner && s.Labels["tier"] == "silver", strings.Join(slices.Sorted(maps.Keys(s.Labels)), ",")
	})
	waitReady(t, client.ObjectKeyFromObject(obj))
	secret = outputSecret(t, obj)
	if secret.Labels["argocd.argoproj.io/instance"] != "crm" || secret.Annotations["reloader.stakater.com/match"] != "true" {
		t.Errorf("what someone else put on the Secret went: labels %v, annotations %v", secret.Labels, secret.Annotations)
	}

	// A template with a typo: the object says which key, the Secret keeps its keys.
	changeSpec(t, obj, func(o *v1.AppRegistration) {
		o.Spec.Secret.Templates[0].Value = "azure://{{ .ClientId }}:{{ .ClientSecret }}"
	})
	failed := waitCondition(t, client.ObjectKeyFromObject(obj), v1.ConditionReady, metav1.ConditionFalse, v1.ReasonInvalidSecretTemplate)
	msg := conditionMessage(failed, v1.ConditionSecretReady)
	if !strings.Contains(msg, "spec.secret.templates key SUITECRM_OAUTH_DSN") || !strings.Contains(msg, "ClientId") {
		t.Errorf("SecretReady says %q, want the key and the unknown name", msg)
	}
	waitForEvent(t, obj, v1.ReasonInvalidSecretTemplate, "SUITECRM_OAUTH_DSN")
	after := outputSecret(t, obj)
	if !maps.EqualFunc(after.Data, secret.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("a failing template changed the Secret's data: keys %v", slices.Sorted(maps.Keys(after.Data)))
	}
	changeSpec(t, obj, func(o *v1.AppRegistration) { o.Spec.Secret.Templates[0].Value = "{{ .ClientID }}" })
	obj = waitReady(t, client.ObjectKeyFromObject(obj))
	if got := string(outputSecret(t, obj).Data["SUITECRM_OAUTH_DSN"]); got != obj.Status.AppID {
		t.Errorf("after the fix SUITECRM_OAUTH_DSN = %q", got)
	}
	assertNoSecretsLeaked(t, clientSecret)
}

// TestAFormatChangeKeepsTheCredentialAndRotationWorks: a Generic Secret whose format changes to
// EspoCRM carries the same client secret under EspoCRM's key, without a new credential; rotation
// then writes the new secret there, and both sign in as EspoCRM during the overlap.
func TestAFormatChangeKeepsTheCredentialAndRotationWorks(t *testing.T) {
	startManager(t, managerOptions{})
	in := espoCRM(newNamespace(t), "reformat")
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	waitIdle(t)
	before := outputSecret(t, obj)
	value, keyID := clientSecretOf(before.Data, before.Annotations)
	adds := srv.Counters().ByOperation["application.addPassword"]

	changeSpec(t, obj, func(o *v1.AppRegistration) { o.Spec.Secret.Format = v1.SecretFormatEspoCRM })
	waitFor(t, "the Secret in the EspoCRM format", func() (bool, string) {
		s := outputSecret(t, obj)
		return string(s.Data[secretdata.EspoCRMClientSecret]) == value, strings.Join(slices.Sorted(maps.Keys(s.Data)), ",")
	})
	obj = waitReady(t, client.ObjectKeyFromObject(obj))
	waitIdle(t)
	after := outputSecret(t, obj)
	if n := srv.Counters().ByOperation["application.addPassword"] - adds; n != 0 || after.Annotations[secretdata.AnnotationClientSecretKeyID] != keyID {
		t.Errorf("the format change added %d client secrets; key ID %s, was %s", n, after.Annotations[secretdata.AnnotationClientSecretKeyID], keyID)
	}
	if _, generic := after.Data[secretdata.KeyClientSecret]; generic || len(after.Data) != len(secretdata.Keys(secretdata.FormatEspoCRM)) {
		t.Errorf("the Secret keeps keys of the Generic format: %v", slices.Sorted(maps.Keys(after.Data)))
	}

	espo := secretproof.EspoCRM(string(obj.Spec.Web.RedirectURIs[0]), "")
	requestRotation(t, obj, "after-reformat")
	waitFor(t, "a new client secret under EspoCRM's key", func() (bool, string) {
		s := outputSecret(t, obj)
		id := s.Annotations[secretdata.AnnotationClientSecretKeyID]
		return id != keyID && len(s.Data[secretdata.EspoCRMClientSecret]) > 0, id
	})
	rotated := outputSecret(t, obj).Data
	old := maps.Clone(rotated)
	old[secretdata.EspoCRMClientSecret] = []byte(value)
	for name, data := range map[string]map[string][]byte{"the new secret": rotated, "the old secret, in its overlap": old} {
		if r := secretproof.Run(context.Background(), srv.HTTPClient(), data, []secretproof.Prover{espo})[0]; !r.Passed() {
			t.Errorf("EspoCRM with %s: %v", name, r.Err)
		}
	}
	assertNoSecretsLeaked(t, value, string(rotated[secretdata.EspoCRMClientSecret]))
}

// TestConsumersRollOnlyWhenTheSecretsContentChanges: a named Deployment and StatefulSet get the
// Secret's content hash on their pod templates; a missing one is reported and skipped. A resync of
// the object in sync writes nothing, to Graph or Kubernetes, and reads no workload; an annotation
// someone removed is not put back, since the content did not change; a rotation changes the
// content, and the new hash reaches every consumer.
func TestConsumersRollOnlyWhenTheSecretsContentChanges(t *testing.T) {
	startManager(t, managerOptions{})
	ns := newNamespace(t)
	createWorkload(t, ns, v1.ConsumerDeployment, "crm")
	createWorkload(t, ns, v1.ConsumerStatefulSet, "crm-worker")
	in := espoCRM(ns, "restarts")
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	in.Spec.Secret.Format = v1.SecretFormatEspoCRM
	in.Spec.Secret.Consumers = []v1.SecretConsumer{
		{Kind: v1.ConsumerDeployment, Name: "crm"}, {Kind: v1.ConsumerStatefulSet, Name: "crm-worker"}, {Kind: v1.ConsumerDeployment, Name: "not-yet"},
	}
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	waitReady(t, client.ObjectKeyFromObject(in))
	waitIdle(t)
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	first := obj.Status.SecretHash
	if first == "" || first != secretdata.ContentHash(outputSecret(t, obj).Data) {
		t.Fatalf("status.secretHash %q is not the Secret's content hash", first)
	}
	if msg := conditionMessage(obj, v1.ConditionSecretReady); !strings.Contains(msg, "Deployment not-yet does not exist") || !strings.Contains(msg, "2 consumer(s)") {
		t.Errorf("SecretReady says %q", msg)
	}
	versions := map[string]string{}
	for _, c := range in.Spec.Secret.Consumers[:2] {
		annotations, rv := podTemplateOf(t, ns, c.Kind, c.Name)
		if annotations[secretdata.AnnotationContentHash] != first || annotations["kept"] != "yes" {
			t.Errorf("%s %s: pod template annotations %v", c.Kind, c.Name, annotations)
		}
		versions[c.Name] = rv
	}
	waitForEvent(t, obj, "ConsumerRestarted", "StatefulSet crm-worker")

	// Someone removes the annotation from the Deployment; resyncs in sync put nothing back.
	d := &appsv1.Deployment{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "crm"}, d); err != nil {
		t.Fatal(err)
	}
	delete(d.Spec.Template.Annotations, secretdata.AnnotationContentHash)
	if err := k8sClient.Update(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	versions["crm"] = d.ResourceVersion
	secretVersion := outputSecret(t, obj).ResourceVersion
	c := resyncAndCount(t, obj, 3, "servicePrincipal.get")
	if c.Writes != 0 {
		t.Errorf("resyncs in sync made %d Graph writes: %v", c.Writes, c.ByOperation)
	}
	for _, c := range in.Spec.Secret.Consumers[:2] {
		if _, rv := podTemplateOf(t, ns, c.Kind, c.Name); rv != versions[c.Name] {
			t.Errorf("a resync in sync wrote %s %s", c.Kind, c.Name)
		}
	}
	if outputSecret(t, obj).ResourceVersion != secretVersion {
		t.Error("a resync in sync wrote the Secret")
	}

	// A rotation changes the content: every consumer gets the new hash.
	requestRotation(t, obj, "roll")
	waitFor(t, "the new content hash on every consumer", func() (bool, string) {
		cur, _ := readyCondition(t, client.ObjectKeyFromObject(obj))
		var got []string
		for _, c := range in.Spec.Secret.Consumers[:2] {
			annotations, _ := podTemplateOf(t, ns, c.Kind, c.Name)
			got = append(got, annotations[secretdata.AnnotationContentHash])
		}
		h := cur.Status.SecretHash
		return h != first && h == secretdata.ContentHash(outputSecret(t, obj).Data) && got[0] == h && got[1] == h, strings.Join(got, " ")
	})
	obj = waitReady(t, client.ObjectKeyFromObject(obj))
	if len(obj.Status.Consumers) != 2 {
		t.Errorf("status.consumers = %+v, want the two that exist", obj.Status.Consumers)
	}
}
