package controllers_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// answerLosingGraph lets an addPassword reach Graph and then hangs until the manager is stopped, as
// a process killed right after sending it would: Graph created the secret, its value never came
// back, and nothing else leaves the process.
type answerLosingGraph struct {
	graph.Client
	// orphan receives the key ID of the credential Graph created.
	orphan chan string
}

func (g *answerLosingGraph) AddPassword(ctx context.Context, app graph.Application, displayName string, end time.Time) (graph.PasswordCredential, graph.SecretText, error) {
	pc, _, err := g.Client.AddPassword(ctx, app, displayName, end)
	if err != nil {
		return pc, graph.SecretText{}, err
	}
	g.orphan <- pc.KeyID
	<-ctx.Done()
	return graph.PasswordCredential{}, graph.SecretText{}, &graph.Error{Op: "add a client secret", Kind: graph.KindUnavailable,
		Message: "the operator died before the answer arrived", Err: ctx.Err()}
}

// TestAnAddWhoseAnswerIsLostLeavesNoCredentialBehind: Graph creates a client secret, the operator
// dies before its value reaches the Secret. A fresh manager finds the orphan by the intent recorded
// before the add, removes it and adds one whose value does reach the Secret: the application ends
// up with exactly the one secret the spec asks for, and it works.
func TestAnAddWhoseAnswerIsLostLeavesNoCredentialBehind(t *testing.T) {
	ctx := context.Background()
	losing := &answerLosingGraph{orphan: make(chan string, 1)}
	stop, _ := startManager(t, managerOptions{wrapGraph: func(c graph.Client) graph.Client { losing.Client = c; return losing }})
	in := espoCRM(newNamespace(t), "crash")
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	var orphan string
	select {
	case orphan = <-losing.orphan:
	case <-time.After(timeout):
		t.Fatal("the operator never added a client secret")
	}
	stop()
	obj := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(in), obj); err != nil {
		t.Fatal(err)
	}
	if obj.Status.Credentials == nil || obj.Status.Credentials.ClientSecret == nil || obj.Status.Credentials.ClientSecret.PendingNonce == "" {
		t.Fatalf("no intent on record after the lost add: %+v", obj.Status.Credentials)
	}
	intent := obj.Status.Credentials.ClientSecret.PendingNonce
	app := appsFor(obj)[0]
	if i := slices.IndexFunc(app.PasswordCredentials, func(p emulator.PasswordCredential) bool { return p.KeyID == orphan }); i < 0 ||
		!strings.Contains(deref(app.PasswordCredentials[i].DisplayName), intent) {
		t.Fatalf("the orphan %s does not carry the recorded intent %s: %+v", orphan, intent, app.PasswordCredentials)
	}

	startManager(t, managerOptions{})
	obj = waitReady(t, client.ObjectKeyFromObject(in))
	waitForEvent(t, obj, "CredentialRemoved", orphan)
	app = appsFor(obj)[0]
	secret := outputSecret(t, obj)
	value, keyID := clientSecretOf(secret.Data, secret.Annotations)
	if len(app.PasswordCredentials) != 1 || app.PasswordCredentials[0].KeyID != keyID || keyID == orphan {
		t.Fatalf("the application holds %+v, want only the secret in the Secret (%s)", app.PasswordCredentials, keyID)
	}
	if ok, detail := secretWorks(srv, tenant, obj.Status.AppID, value); !ok {
		t.Errorf("the recovered secret does not sign in: %s", detail)
	}
	if st := obj.Status.Credentials.ClientSecret; st.PendingNonce != "" || st.Current == nil || st.Current.KeyID != keyID {
		t.Errorf("status after recovery = %+v", st)
	}
}

// TestAReferencedCertificateIsFollowedThroughItsRenewal: a cert-manager style kubernetes.io/tls
// Secret, labeled for the operator as cert-manager's secretTemplate would, is registered on the
// application and copied to the output Secret; when it is renewed, the watch brings the new
// certificate to both (with addKey and a proof signed by the old one), and the old one stays
// registered through its overlap.
func TestAReferencedCertificateIsFollowedThroughItsRenewal(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	issue := func() certificate.Pair {
		p, err := certificate.Generate(certificate.KeyTypeRSA, 2048, "crm.example.com", time.Now(), 90*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := issue()
	tls := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "crm-tls", Namespace: ns, Labels: map[string]string{controllers.SecretLabel: "followed"}},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: first.CertPEM, corev1.TLSPrivateKeyKey: first.KeyPEM},
	}
	if err := k8sClient.Create(ctx, tls); err != nil {
		t.Fatal(err)
	}
	in := espoCRM(ns, "followed")
	in.Spec.Credentials = &v1.Credentials{Certificate: &v1.CertificateCredential{SecretRef: &v1.TLSSecretReference{Name: "crm-tls"}}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	if got := string(outputSecret(t, obj).Data[secretdata.KeyCertificateThumbprint]); got != first.Thumbprint() {
		t.Fatalf("the output Secret holds %s, want the referenced certificate %s", got, first.Thumbprint())
	}
	if ok, detail := certificateWorks(srv, tenant, obj.Status.AppID, first, time.Now()); !ok {
		t.Fatalf("the referenced certificate does not sign in: %s", detail)
	}

	addKeys := srv.Counters().ByOperation["application.addKey"]
	renewed := issue()
	tls.Data = map[string][]byte{corev1.TLSCertKey: renewed.CertPEM, corev1.TLSPrivateKeyKey: renewed.KeyPEM}
	if err := k8sClient.Update(ctx, tls); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the renewed certificate in the output Secret", func() (bool, string) {
		got := string(outputSecret(t, obj).Data[secretdata.KeyCertificateThumbprint])
		return got == renewed.Thumbprint(), got
	})
	out := outputSecret(t, obj)
	if string(out.Data[secretdata.KeyTLSCert]) != string(renewed.CertPEM) || string(out.Data[secretdata.KeyTLSKey]) != string(renewed.KeyPEM) {
		t.Error("the output Secret's tls.crt and tls.key are not the renewed ones")
	}
	if ok, detail := certificateWorks(srv, tenant, obj.Status.AppID, renewed, time.Now()); !ok {
		t.Errorf("the renewed certificate does not sign in: %s", detail)
	}
	if ok, _ := certificateWorks(srv, tenant, obj.Status.AppID, first, time.Now()); !ok {
		t.Error("the previous certificate stopped working before its overlap ended")
	}
	if n := srv.Counters().ByOperation["application.addKey"] - addKeys; n != 1 {
		t.Errorf("%d addKey calls for the renewal, want 1", n)
	}
	if marked := markedKeys(appsFor(obj)[0]); len(marked) != 2 {
		t.Errorf("during the overlap the application holds %v, want the renewed and the previous certificate", marked)
	}

	// A reference to a Secret that is gone is reported, and nothing is removed for it.
	if err := k8sClient.Delete(ctx, tls); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ready=False CertificateUnavailable", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(obj))
		return c != nil && c.Reason == v1.ReasonCertificateUnavailable && strings.Contains(c.Message, "crm-tls"), fmt.Sprint(c)
	})
	if ok, _ := certificateWorks(srv, tenant, obj.Status.AppID, renewed, time.Now()); !ok {
		t.Error("the registered certificate stopped working when its source Secret went")
	}
}

// TestFederatedCredentialsFollowTheSpec: a declared federated credential lets a workload exchange
// its issuer's token for an Entra token; removed from the spec, it is deleted and the exchange
// fails; a federated credential someone else made is left alone throughout.
func TestFederatedCredentialsFollowTheSpec(t *testing.T) {
	_, gc := startManager(t, managerOptions{})
	ctx := context.Background()
	const issuer = "https://oidc.cluster.example.com/federated-test"
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv.TrustIssuer(issuer, key.Public())
	in := espoCRM(newNamespace(t), "federated")
	in.Spec.Credentials = &v1.Credentials{Federated: []v1.FederatedCredential{
		{Name: "crm", Issuer: issuer, Subject: "system:serviceaccount:crm:espocrm", Description: "EspoCRM pods"},
	}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	app := appsFor(obj)[0]
	if len(app.FederatedIdentityCredentials) != 1 || app.FederatedIdentityCredentials[0].Audiences[0] != "api://AzureADTokenExchange" {
		t.Fatalf("federated credentials = %+v", app.FederatedIdentityCredentials)
	}
	exchange := func(subject string) (bool, string) {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		})
		assertion, err := tok.SignedString(crypto.Signer(key))
		if err != nil {
			return false, err.Error()
		}
		status, codes, err := requestToken(srv, tenant, url.Values{"client_id": {obj.Status.AppID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
		return err == nil && status == 200, fmt.Sprintf("%d %s %v", status, codes, err)
	}
	if ok, detail := exchange("system:serviceaccount:crm:espocrm"); !ok {
		t.Fatalf("a matching federated assertion got no token: %s", detail)
	}
	if ok, _ := exchange("system:serviceaccount:crm:other"); ok {
		t.Fatal("an assertion for another subject got a token")
	}
	// Someone adds one in the portal; the operator does not own it.
	appRecord := graph.Application{ObjectID: app.ID, AppID: app.AppID, UniqueName: deref(app.UniqueName)}
	if _, err := gc.CreateFederatedCredential(ctx, appRecord, graph.FederatedCredential{
		Name: "github", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:example/crm:ref:refs/heads/main",
		Audiences: []string{"api://AzureADTokenExchange"},
	}); err != nil {
		t.Fatal(err)
	}

	changeSpec(t, obj, func(cur *v1.AppRegistration) { cur.Spec.Credentials.Federated = nil })
	waitFor(t, "the undeclared federated credential to be deleted", func() (bool, string) {
		fics := appsFor(obj)[0].FederatedIdentityCredentials
		return len(fics) == 1 && fics[0].Name == "github", fmt.Sprint(fics)
	})
	if ok, _ := exchange("system:serviceaccount:crm:espocrm"); ok {
		t.Error("the assertion still gets a token after its federated credential left the spec")
	}
	obj = waitReady(t, client.ObjectKeyFromObject(in))
	if obj.Status.Credentials != nil && len(obj.Status.Credentials.Federated) != 0 {
		t.Errorf("status still lists federated credentials: %v", obj.Status.Credentials.Federated)
	}
}

// TestAnAppManagementPolicyIsReportedByNameAndNothingIsHalfApplied: a tenant policy that caps
// client secret lifetimes below the spec stops a rotation with Ready=False AppManagementPolicy and
// the policy's name; the current secret stays on the application and in the Secret and works; the
// operator does not retry in a loop.
func TestAnAppManagementPolicyIsReportedByNameAndNothingIsHalfApplied(t *testing.T) {
	server, tn, opts := dedicatedEmulator(t, nil)
	startManager(t, opts)
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "policy")
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{Rotation: v1.Rotation{
		ValidFor: &metav1.Duration{Duration: 720 * time.Hour}, RenewBefore: &metav1.Duration{Duration: 240 * time.Hour},
		KeepPrevious: &metav1.Duration{Duration: time.Hour},
	}}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	before := outputSecret(t, obj)
	value, keyID := clientSecretOf(before.Data, before.Annotations)

	week := "P7D"
	if err := tn.SetDefaultAppManagementPolicy(emulator.TenantAppManagementPolicy{
		DisplayName: "Contoso one-week secrets", IsEnabled: true,
		ApplicationRestrictions: emulator.AppManagementConfiguration{PasswordCredentials: []emulator.CredentialRestriction{
			{RestrictionType: emulator.RestrictPasswordLifetime, MaxLifetime: &week},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	requestRotation(t, obj, "after the policy")
	waitFor(t, "Ready=False AppManagementPolicy naming the policy", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(obj))
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == v1.ReasonAppManagementPolicy &&
			strings.Contains(c.Message, "Contoso one-week secrets"), fmt.Sprint(c)
	})
	waitIdle(t)
	attempts := server.Counters().ByOperation["application.addPassword"]
	after := outputSecret(t, obj)
	if v, k := clientSecretOf(after.Data, after.Annotations); v != value || k != keyID {
		t.Error("the Secret changed although the rotation was refused")
	}
	if marked := markedPasswords(appIn(t, tn, obj)); !slices.Equal(marked, []string{keyID}) {
		t.Errorf("the application holds %v after the refusal, want only the current secret %s", marked, keyID)
	}
	if ok, detail := secretWorks(server, tn, obj.Status.AppID, value); !ok {
		t.Errorf("the current secret stopped working: %s", detail)
	}
	if st := conditionOf(t, obj, v1.ConditionCredentialsReady); st == nil || st.Status != metav1.ConditionFalse || st.Reason != v1.ReasonAppManagementPolicy {
		t.Errorf("CredentialsReady = %v", st)
	}
	got := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatal(err)
	}
	if p := got.Status.Credentials.ClientSecret.PendingNonce; p != "" {
		t.Errorf("a refused add left the intent %q on record", p)
	}
	// No retry loop: the refusal waits for the resync (an hour here), not for backoff.
	touch(t, obj, "once more")
	waitIdle(t)
	if n := server.Counters().ByOperation["application.addPassword"] - attempts; n > 1 {
		t.Errorf("%d more addPassword attempts after one reconcile, want at most one", n)
	}
}

// TestAPolicyForbiddingSecretsStopsANewObject: a tenant policy that forbids client secrets stops a
// new object with AppManagementPolicy, Graph's code and the policy's name, and its application
// holds no secret.
func TestAPolicyForbiddingSecretsStopsANewObject(t *testing.T) {
	_, tn, opts := dedicatedEmulator(t, nil)
	startManager(t, opts)
	if err := tn.SetDefaultAppManagementPolicy(emulator.TenantAppManagementPolicy{
		DisplayName: "Contoso no secrets", IsEnabled: true,
		ApplicationRestrictions: emulator.AppManagementConfiguration{PasswordCredentials: []emulator.CredentialRestriction{
			{RestrictionType: emulator.RestrictPasswordAddition},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	fresh := espoCRM(newNamespace(t), "forbidden")
	fresh.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	if err := k8sClient.Create(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ready=False AppManagementPolicy for the new object", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(fresh))
		return c != nil && c.Reason == v1.ReasonAppManagementPolicy && strings.Contains(c.Message, "Contoso no secrets") &&
			strings.Contains(c.Message, "CredentialTypeNotAllowedAsPerAppPolicy"), fmt.Sprint(c)
	})
	if creds := appIn(t, tn, fresh).PasswordCredentials; len(creds) != 0 {
		t.Errorf("the refused object's application holds %d secrets", len(creds))
	}
}

// TestCredentialsTheOperatorDidNotMakeAreLeftAlone: a client secret added in the portal survives
// rotation and the removal of clientSecret from the spec, which removes the operator's own secret
// and takes AZURE_CLIENT_SECRET out of the Secret. Deleting the object with deletionPolicy Orphan
// removes the operator's certificate (its key goes with the Secret) and keeps the application and
// the portal's secret.
func TestCredentialsTheOperatorDidNotMakeAreLeftAlone(t *testing.T) {
	_, gc := startManager(t, managerOptions{})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "shared")
	in.Spec.DeletionPolicy = v1.DeletionPolicyOrphan
	in.Spec.Credentials = &v1.Credentials{
		ClientSecret: &v1.ClientSecretCredential{},
		Certificate:  &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{KeyType: v1.CertificateKeyECDSA}},
	}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	app := appsFor(obj)[0]
	appRecord := graph.Application{ObjectID: app.ID, AppID: app.AppID, UniqueName: deref(app.UniqueName)}
	portal, portalValue, err := gc.AddPassword(ctx, appRecord, "made in the portal", time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	requestRotation(t, obj, "with a stranger present")
	waitForEvent(t, obj, "CredentialRotated", "client secret")
	changeSpec(t, obj, func(cur *v1.AppRegistration) { cur.Spec.Credentials.ClientSecret = nil })
	waitFor(t, "the operator's secrets to go and the portal's to stay", func() (bool, string) {
		creds := appsFor(obj)[0].PasswordCredentials
		return len(creds) == 1 && creds[0].KeyID == portal.KeyID, fmt.Sprint(len(creds))
	})
	waitFor(t, "AZURE_CLIENT_SECRET to leave the Secret", func() (bool, string) {
		s := outputSecret(t, obj)
		_, has := s.Data[secretdata.KeyClientSecret]
		return !has && s.Annotations[secretdata.AnnotationClientSecretKeyID] == "" && len(s.Data[secretdata.KeyTLSKey]) > 0, fmt.Sprint(has)
	})
	if ok, detail := secretWorks(srv, tenant, app.AppID, portalValue.Reveal()); !ok {
		t.Errorf("the portal's secret stopped working: %s", detail)
	}

	if err := k8sClient.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the object to go", func() (bool, string) {
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), &v1.AppRegistration{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	left, ok := tenant.Application(app.ID)
	if !ok {
		t.Fatal("deletionPolicy Orphan deleted the application")
	}
	if len(markedKeys(left)) != 0 || len(markedPasswords(left)) != 0 {
		t.Errorf("the operator's credentials outlived their Secret on the orphaned application: %v %v", markedKeys(left), markedPasswords(left))
	}
	if len(left.PasswordCredentials) != 1 || left.PasswordCredentials[0].KeyID != portal.KeyID {
		t.Errorf("the portal's secret did not survive: %+v", left.PasswordCredentials)
	}
	assertNoSecretsLeaked(t, portalValue.Reveal())
}

// TestAResyncWithCredentialsInSyncCostsNoWriteAndNoExtraRead: with a client secret and a
// certificate current, a resync reads the application (credentials included) and the service
// principal, as without credentials, and writes nothing; federated credentials add one read.
func TestAResyncWithCredentialsInSyncCostsNoWriteAndNoExtraRead(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	withCreds := espoCRM(ns, "insync-credentials")
	withCreds.Spec.Credentials = &v1.Credentials{
		ClientSecret: &v1.ClientSecretCredential{},
		Certificate:  &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{KeyType: v1.CertificateKeyECDSA}},
	}
	withFederated := espoCRM(ns, "insync-federated")
	withFederated.Spec.Credentials = &v1.Credentials{
		ClientSecret: &v1.ClientSecretCredential{},
		Federated:    []v1.FederatedCredential{{Name: "crm", Issuer: "https://oidc.example.com", Subject: "crm"}},
	}
	for _, o := range []*v1.AppRegistration{withCreds, withFederated} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		waitReady(t, client.ObjectKeyFromObject(o))
	}
	waitIdle(t)
	for _, c := range []struct {
		obj   *v1.AppRegistration
		reads int64
	}{{withCreds, 2}, {withFederated, 3}} {
		srv.ResetCounters()
		touch(t, c.obj, "resync")
		waitFor(t, "the resync to read Graph", func() (bool, string) {
			return srv.Counters().ByOperation["servicePrincipal.get"] > 0, ""
		})
		waitIdle(t)
		got := srv.Counters()
		t.Logf("%s: an in-sync resync made %d reads and %d writes (%v)", c.obj.Name, got.Reads, got.Writes, got.ByOperation)
		if got.Writes != 0 || got.Reads != c.reads {
			t.Errorf("%s: a resync in sync made %d reads and %d writes, want %d and 0: %v", c.obj.Name, got.Reads, got.Writes, c.reads, got.ByOperation)
		}
	}
}

// TestTheRotateAnnotationIsHandledOnce: a rotate annotation already present when the object is
// created, as a GitOps manifest may carry it, does not rotate the first secret; the same value
// again does nothing; a new value rotates once.
func TestTheRotateAnnotationIsHandledOnce(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "gitops")
	in.Annotations = map[string]string{v1.RotateAnnotation: "2026-01-01"}
	in.Spec.Credentials = &v1.Credentials{ClientSecret: &v1.ClientSecretCredential{}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	waitIdle(t)
	adds := srv.Counters().ByOperation["application.addPassword"]
	touch(t, obj, "again")
	waitIdle(t)
	if n := srv.Counters().ByOperation["application.addPassword"] - adds; n != 0 {
		t.Errorf("an annotation handled at creation rotated %d more times", n)
	}
	requestRotation(t, obj, "2026-02-01")
	waitForEvent(t, obj, "CredentialRotated", "client secret")
	waitIdle(t)
	if n := srv.Counters().ByOperation["application.addPassword"] - adds; n != 1 {
		t.Errorf("a new annotation value rotated %d times, want once", n)
	}
	if len(markedPasswords(appsFor(obj)[0])) != 2 {
		t.Error("the rotation did not keep the previous secret for its overlap")
	}
}

// TestAnUnlabeledCertificateSecretWorksAndTheStatusSaysToLabelIt: the operator caches only labeled
// Secrets; a referenced TLS Secret without the label is read from the API server, and
// CredentialsReady says how to have its renewals picked up at once.
func TestAnUnlabeledCertificateSecretWorksAndTheStatusSaysToLabelIt(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	pair, err := certificate.Generate(certificate.KeyTypeRSA, 2048, "crm.example.com", time.Now(), 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tls := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "crm-tls-unlabeled", Namespace: ns},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM},
	}
	if err := k8sClient.Create(ctx, tls); err != nil {
		t.Fatal(err)
	}
	in := espoCRM(ns, "unlabeled")
	in.Spec.Credentials = &v1.Credentials{Certificate: &v1.CertificateCredential{SecretRef: &v1.TLSSecretReference{Name: tls.Name}}}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	if got := string(outputSecret(t, obj).Data[secretdata.KeyCertificateThumbprint]); got != pair.Thumbprint() {
		t.Errorf("the output Secret holds %s, want the referenced certificate %s", got, pair.Thumbprint())
	}
	if c := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionCredentialsReady); c == nil || !strings.Contains(c.Message, "label Secret "+tls.Name) {
		t.Errorf("CredentialsReady = %+v, want a hint to label the Secret", c)
	}
}
