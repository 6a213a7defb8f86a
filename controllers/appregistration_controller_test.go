package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

const timeout = 60 * time.Second

func espoCRM(ns, name string) *v1.AppRegistration {
	return &v1.AppRegistration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1.AppRegistrationSpec{
			DisplayName:    "EspoCRM " + name,
			SignInAudience: v1.AudienceMultipleOrgs,
			Web: &v1.WebApplication{
				RedirectURIs:  []v1.RedirectURI{"https://crm.example.com/oauth-callback.php"},
				HomePageURL:   "https://crm.example.com/",
				LogoutURL:     "https://crm.example.com/logout",
				ImplicitGrant: v1.ImplicitGrant{IDTokens: true},
			},
			SPA:          &v1.SinglePageApplication{RedirectURIs: []v1.RedirectURI{"https://crm.example.com/app"}},
			PublicClient: &v1.PublicClientApplication{RedirectURIs: []v1.PublicClientRedirectURI{"msal1://auth"}, AllowPublicClientFlows: true},
			OptionalClaims: &v1.OptionalClaims{
				IDToken: []v1.OptionalClaim{{Name: "email"}, {Name: "upn", Essential: true}},
			},
			GroupMembershipClaims: v1.GroupMembershipClaimsSecurityGroup,
			Secret:                v1.SecretTarget{Name: name + "-oidc"},
		},
	}
}

// waitFor polls until cond holds, failing the test with the object's last condition otherwise.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last state: %s", what, last)
}

func readyCondition(t *testing.T, key client.ObjectKey) (*v1.AppRegistration, *metav1.Condition) {
	t.Helper()
	obj := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), key, obj); err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return obj, meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionReady)
}

func waitReady(t *testing.T, key client.ObjectKey) *v1.AppRegistration {
	t.Helper()
	var obj *v1.AppRegistration
	waitFor(t, key.String()+" to be Ready", func() (bool, string) {
		var c *metav1.Condition
		obj, c = readyCondition(t, key)
		if c == nil {
			return false, "no Ready condition"
		}
		return c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.Generation,
			fmt.Sprintf("%s %s: %s", c.Status, c.Reason, c.Message)
	})
	return obj
}

// appsFor returns the emulator's applications created for an AppRegistration.
func appsFor(obj *v1.AppRegistration) []emulator.Application {
	var out []emulator.Application
	for _, a := range tenant.Applications() {
		if a.UniqueName != nil && *a.UniqueName == desired.UniqueName(string(obj.UID)) {
			out = append(out, a)
		}
	}
	return out
}

func servicePrincipalsFor(appID string) int {
	n := 0
	for _, sp := range tenant.ServicePrincipals() {
		if sp.AppID == appID {
			n++
		}
	}
	return n
}

func TestCreateYieldsOneApplicationServicePrincipalAndSecret(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	srv.ResetCounters()
	in := espoCRM(ns, "espocrm")
	// As kubectl's client-side apply leaves it; the manager's cache holds objects without it.
	lastApplied := `{"kind":"AppRegistration","spec":{"displayName":"EspoCRM espocrm"}}`
	in.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: lastApplied}
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	if got := obj.Annotations[corev1.LastAppliedConfigAnnotation]; got != lastApplied {
		t.Errorf("kubectl's last-applied-configuration became %q: the operator's writes must not drop it", got)
	}
	created := srv.Counters()
	t.Logf("create: %d Graph reads, %d Graph writes, %d token requests (%v)",
		created.Reads, created.Writes, created.TokenRequests, created.ByOperation)

	apps := appsFor(obj)
	if len(apps) != 1 {
		t.Fatalf("want exactly one application for the object, got %d", len(apps))
	}
	app := apps[0]
	if obj.Status.AppID != app.AppID || obj.Status.ObjectID != app.ID || obj.Status.TenantID != tenant.ID() {
		t.Errorf("status IDs %+v do not match the application %s/%s", obj.Status, app.ID, app.AppID)
	}
	if n := servicePrincipalsFor(app.AppID); n != 1 {
		t.Errorf("want one service principal, got %d", n)
	}
	sp, _ := tenant.ServicePrincipalByAppID(app.AppID)
	if obj.Status.ServicePrincipalID != sp.ID {
		t.Errorf("status.servicePrincipalId = %q, want %q", obj.Status.ServicePrincipalID, sp.ID)
	}

	// Every declared field reached Entra.
	checks := []struct {
		field     string
		got, want any
	}{
		{"displayName", app.DisplayName, "EspoCRM espocrm"},
		{"signInAudience", app.SignInAudience, "AzureADMultipleOrgs"},
		{"web.redirectUris", app.Web.RedirectURIs, []string{"https://crm.example.com/oauth-callback.php"}},
		{"web.homePageUrl", deref(app.Web.HomePageURL), "https://crm.example.com/"},
		{"web.logoutUrl", deref(app.Web.LogoutURL), "https://crm.example.com/logout"},
		{"web.implicitGrantSettings.enableIdTokenIssuance", app.Web.ImplicitGrantSettings.EnableIDTokenIssuance, true},
		{"web.implicitGrantSettings.enableAccessTokenIssuance", app.Web.ImplicitGrantSettings.EnableAccessTokenIssuance, false},
		{"spa.redirectUris", app.Spa.RedirectURIs, []string{"https://crm.example.com/app"}},
		{"publicClient.redirectUris", app.PublicClient.RedirectURIs, []string{"msal1://auth"}},
		{"isFallbackPublicClient", deref(app.IsFallbackPublicClient), true},
		{"groupMembershipClaims", deref(app.GroupMembershipClaims), "SecurityGroup"},
		{"optionalClaims.idToken", claimNames(app), []string{"email", "upn!"}},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}

	// The Secret carries the IDs and the endpoints of the tenant's real discovery document.
	secret := &corev1.Secret{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "espocrm-oidc"}, secret); err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(secret, obj) {
		t.Error("the Secret is not owned by the AppRegistration")
	}
	data := func(k string) string { return string(secret.Data[k]) }
	if data(secretdata.KeyTenantID) != tenant.ID() || data(secretdata.KeyClientID) != app.AppID {
		t.Errorf("Secret IDs = %s/%s", data(secretdata.KeyTenantID), data(secretdata.KeyClientID))
	}
	doc := fetchJSON(t, data(secretdata.KeyDiscoveryURL))
	for key, field := range map[string]string{
		secretdata.KeyIssuer:                      "issuer",
		secretdata.KeyAuthorizationEndpoint:       "authorization_endpoint",
		secretdata.KeyTokenEndpoint:               "token_endpoint",
		secretdata.KeyJWKSURI:                     "jwks_uri",
		secretdata.KeyEndSessionEndpoint:          "end_session_endpoint",
		secretdata.KeyUserinfoEndpoint:            "userinfo_endpoint",
		secretdata.KeyDeviceAuthorizationEndpoint: "device_authorization_endpoint",
	} {
		if data(key) != doc[field] {
			t.Errorf("Secret %s = %q, discovery document %s = %v", key, data(key), field, doc[field])
		}
	}
	if got := secret.Annotations[secretdata.AnnotationContentHash]; got != secretdata.ContentHash(secret.Data) {
		t.Errorf("the Secret's content hash annotation %q is not the hash of its data", got)
	}
	if data(secretdata.KeyAuthorityHost) != srv.AuthorityHost() {
		t.Errorf("AZURE_AUTHORITY_HOST = %q, want %q", data(secretdata.KeyAuthorityHost), srv.AuthorityHost())
	}

	checkOneCreatedEvent(t, obj, app.AppID, sp.ID)
}

// checkOneCreatedEvent checks that one Created event names the object's new application and its
// service principal, and no other Created event stands beside it.
func checkOneCreatedEvent(t *testing.T, obj *v1.AppRegistration, appID, servicePrincipalID string) {
	t.Helper()
	waitForEvent(t, obj, "Created", "Created application "+appID+" and its service principal "+servicePrincipalID)
	var events eventsv1.EventList
	if err := k8sClient.List(context.Background(), &events, client.InNamespace(obj.Namespace)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.Regarding.UID == obj.UID && e.Reason == "Created" && e.Action != "CreateApplication" {
			t.Errorf("a second Created event: %s %q", e.Action, e.Note)
		}
	}
}

// fetchJSON GETs a JSON document from the emulator, failing the test unless it answers 200.
func fetchJSON(t *testing.T, target string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("fetching %s: %v", target, err)
	}
	defer res.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", target, res.StatusCode, err)
	}
	return doc
}

func TestSpecChangesReachEntraAndDriftIsReverted(t *testing.T) {
	startManager(t, managerOptions{resync: 2 * time.Second})
	ctx := context.Background()
	ns := newNamespace(t)
	in := espoCRM(ns, "drift")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))

	// A spec change reaches Entra.
	obj.Spec.Web.RedirectURIs = append(obj.Spec.Web.RedirectURIs, "https://crm2.example.com/oauth-callback.php")
	obj.Spec.DisplayName = "EspoCRM renamed"
	obj.Spec.Web.LogoutURL = "" // removing a URL from the spec clears it in Entra
	obj.Spec.OptionalClaims = nil
	if err := k8sClient.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the spec change to reach Entra", func() (bool, string) {
		app, _ := tenant.Application(obj.Status.ObjectID)
		return app.DisplayName == "EspoCRM renamed" && len(app.Web.RedirectURIs) == 2 && app.Web.LogoutURL == nil &&
				deref(app.Web.HomePageURL) == "https://crm.example.com/" && len(claimNames(app)) == 0,
			fmt.Sprintf("%q %v logout=%v claims=%v", app.DisplayName, app.Web.RedirectURIs, deref(app.Web.LogoutURL), claimNames(app))
	})
	obj = waitReady(t, client.ObjectKeyFromObject(in))

	// Admitting personal accounts needs v2 access tokens, which Entra insists on in the same write.
	obj.Spec.SignInAudience = v1.AudienceOrgsAndPersonal
	if err := k8sClient.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "personal accounts to be admitted", func() (bool, string) {
		app, _ := tenant.Application(obj.Status.ObjectID)
		return app.SignInAudience == "AzureADandPersonalMicrosoftAccount" && deref(app.API.RequestedAccessTokenVersion) == 2,
			fmt.Sprintf("%s v%d", app.SignInAudience, deref(app.API.RequestedAccessTokenVersion))
	})
	obj = waitReady(t, client.ObjectKeyFromObject(in))

	// Someone edits the application in the portal; the next resync puts it back.
	if err := tenant.UpdateApplication(obj.Status.ObjectID, func(a *emulator.Application) {
		a.DisplayName = "changed in the portal"
		a.Web.RedirectURIs = append(a.Web.RedirectURIs, "https://attacker.example.com/cb")
		a.Web.ImplicitGrantSettings.EnableAccessTokenIssuance = true
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resync to revert the portal edit", func() (bool, string) {
		app, _ := tenant.Application(obj.Status.ObjectID)
		return app.DisplayName == "EspoCRM renamed" && len(app.Web.RedirectURIs) == 2 &&
				!app.Web.ImplicitGrantSettings.EnableAccessTokenIssuance,
			fmt.Sprintf("%q %v", app.DisplayName, app.Web.RedirectURIs)
	})

	// An edit of the Secret is put back too.
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: ns, Name: "drift-oidc"}
	if err := k8sClient.Get(ctx, key, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data[secretdata.KeyClientID] = []byte("tampered")
	if err := k8sClient.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Secret to be restored", func() (bool, string) {
		_ = k8sClient.Get(ctx, key, secret)
		return string(secret.Data[secretdata.KeyClientID]) == obj.Status.AppID, string(secret.Data[secretdata.KeyClientID])
	})

	// Renaming the target moves the configuration and removes the old Secret.
	obj = waitReady(t, client.ObjectKeyFromObject(in))
	obj.Spec.Secret.Name = "drift-renamed"
	if err := k8sClient.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Secret to move", func() (bool, string) {
		errOld := k8sClient.Get(ctx, key, &corev1.Secret{})
		errNew := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "drift-renamed"}, &corev1.Secret{})
		return apierrors.IsNotFound(errOld) && errNew == nil, fmt.Sprintf("old: %v, new: %v", errOld, errNew)
	})
}

func TestResyncOfAnObjectInSyncMakesNoWrite(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	in := espoCRM(ns, "insync")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	waitIdle(t) // every follow-up reconcile of the create is done
	secretKey := client.ObjectKey{Namespace: ns, Name: obj.SecretName()}
	secretBefore := &corev1.Secret{}
	if err := k8sClient.Get(ctx, secretKey, secretBefore); err != nil {
		t.Fatal(err)
	}

	const resyncs = 5
	logStart := len(logs.String())
	c := resyncAndCount(t, obj, resyncs, "servicePrincipal.get")
	// Nor a Kubernetes write: the Secret is as it was, and no update was even sent (the API server
	// answers an update that changes nothing without a new resourceVersion, so the log tells).
	secretAfter := &corev1.Secret{}
	if err := k8sClient.Get(ctx, secretKey, secretAfter); err != nil {
		t.Fatal(err)
	}
	if secretAfter.ResourceVersion != secretBefore.ResourceVersion {
		t.Errorf("%d resyncs of an object in sync wrote its Secret (resourceVersion %s, then %s)", resyncs, secretBefore.ResourceVersion, secretAfter.ResourceVersion)
	}
	if during := logs.String()[logStart:]; strings.Contains(during, "updated Secret "+secretKey.Name) {
		t.Errorf("%d resyncs of an object in sync sent updates of its Secret", resyncs)
	}
	t.Logf("in-sync resync: %.1f Graph reads, %.1f Graph writes per reconcile (%v)",
		float64(c.Reads)/resyncs, float64(c.Writes)/resyncs, c.ByOperation)
	if c.Writes != 0 {
		t.Errorf("%d resyncs of an object in sync made %d Graph writes: %v", resyncs, c.Writes, c.ByOperation)
	}
	if c.Reads == 0 {
		t.Error("the resyncs did not read Graph at all, so they could not notice drift")
	}
	if got := operatorGraphCalls.Load(); got != c.Reads+c.Writes {
		t.Errorf("the operator counted %d Graph requests, the emulator %d", got, c.Reads+c.Writes)
	}
	_, cond := readyCondition(t, client.ObjectKeyFromObject(in))
	if cond.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %s %s", cond.Status, cond.Message)
	}
}

func TestEveryObjectBecomesReadyOnceDespiteLagThrottlingErrorsAndARestart(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	srv.SetBehaviour(emulator.Behaviour{
		ReplicationLag:        1500 * time.Millisecond,
		Throttle:              &emulator.ThrottleConfig{AppWrites: 8, AppWindow: 2 * time.Second, TenantWrites: 20, TenantWindow: 3 * time.Second},
		ServerErrorRate:       0.15,
		ServerErrorRetryAfter: 0,
		ConcurrencyConflicts:  true,
	})
	t.Cleanup(func() { srv.SetBehaviour(emulator.Behaviour{}) })

	// The window a crash can hit: Graph created the application, the operator died before it
	// wrote the ID to status. An earlier operator's upsert stands in for that crash.
	crashed := espoCRM(ns, "crashed")
	if err := k8sClient.Create(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	stop, gc := startManager(t, managerOptions{})
	stop()
	if _, _, err := gc.UpsertApplication(ctx, desired.UniqueName(string(crashed.UID)), desired.Application(crashed.Spec)); err != nil {
		t.Fatalf("pre-creating the application: %v", err)
	}

	const n = 8
	objs := []*v1.AppRegistration{crashed}
	for i := range n - 1 {
		o := espoCRM(ns, fmt.Sprintf("crm-%d", i))
		if i == 0 {
			// Credentials through the same faults: the first federated list after the create meets
			// replication lag, adds meet 5xx and throttling.
			o.Spec.Credentials = &v1.Credentials{
				ClientSecret: &v1.ClientSecretCredential{},
				Federated:    []v1.FederatedCredential{{Name: "crm", Issuer: "https://oidc.example.com", Subject: "crm"}},
			}
		}
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	// Restart the manager while it is creating.
	stop, _ = startManager(t, managerOptions{})
	waitFor(t, "the first application to be created", func() (bool, string) {
		for _, o := range objs {
			if len(appsFor(o)) > 0 {
				return true, ""
			}
		}
		return false, ""
	})
	stop()
	startManager(t, managerOptions{})

	for _, o := range objs {
		got := waitReady(t, client.ObjectKeyFromObject(o))
		if apps := appsFor(got); len(apps) != 1 {
			t.Errorf("%s has %d applications, want exactly one", o.Name, len(apps))
		}
		if sps := servicePrincipalsFor(got.Status.AppID); sps != 1 {
			t.Errorf("%s has %d service principals, want one", o.Name, sps)
		}
		if o.Spec.Credentials != nil {
			app := appsFor(got)[0]
			if marked := markedPasswords(app); len(marked) != 1 || len(app.FederatedIdentityCredentials) != 1 {
				t.Errorf("%s holds secrets %v and %d federated credentials, want one of each", o.Name, marked, len(app.FederatedIdentityCredentials))
			}
		}
	}
	c := srv.Counters()
	t.Logf("under lag, throttling and 5xx: %d reads, %d writes, %d throttled, %d injected 5xx, %d conflicts",
		c.Reads, c.Writes, c.Throttled, c.ServerErrors, c.Conflicts)
	// The faults this test asked for must have happened, or it proved nothing.
	if c.Throttled == 0 {
		t.Error("no write was throttled")
	}
	if c.ServerErrors == 0 {
		t.Error("no 5xx was injected")
	}
	// Conflicts were switched on; writes to one application are serialized, so none may occur.
	if c.Conflicts != 0 {
		t.Errorf("%d concurrent writes to one application got 409", c.Conflicts)
	}
}

func TestDeletionHonoursThePolicyAndTakesTheSecret(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)

	cases := []struct {
		name      string
		policy    v1.DeletionPolicy
		goneFirst bool // the application was deleted in the portal before the object
		wantApp   bool
	}{
		{"delete", v1.DeletionPolicyDelete, false, false},
		{"orphan", v1.DeletionPolicyOrphan, false, true},
		{"already-gone", v1.DeletionPolicyDelete, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := espoCRM(ns, c.name)
			in.Spec.DeletionPolicy = c.policy
			if err := k8sClient.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
			obj := waitReady(t, client.ObjectKeyFromObject(in))
			if c.goneFirst {
				if err := tenant.DeleteApplication(obj.Status.ObjectID); err != nil {
					t.Fatal(err)
				}
			}
			deletesBefore := srv.Counters().ByOperation["application.delete"]
			if err := k8sClient.Delete(ctx, obj); err != nil {
				t.Fatal(err)
			}
			if c.goneFirst {
				// Young as it is, a 404 may be replication lag: the operator says so and asks again
				// after the window instead of letting the object go at once.
				waitFor(t, "Ready=False Deleting", func() (bool, string) {
					_, cond := readyCondition(t, client.ObjectKeyFromObject(obj))
					if cond == nil {
						return false, "no Ready condition"
					}
					return cond.Reason == v1.ReasonDeleting, cond.Reason
				})
			}
			waitFor(t, "the object to go", func() (bool, string) {
				err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), &v1.AppRegistration{})
				return apierrors.IsNotFound(err), fmt.Sprint(err)
			})
			wantDeletes := map[v1.DeletionPolicy]int64{v1.DeletionPolicyDelete: 1, v1.DeletionPolicyOrphan: 0}[c.policy]
			if c.goneFirst {
				wantDeletes = 2 // the first 404, and the confirmation after the replication window
			}
			if got := srv.Counters().ByOperation["application.delete"] - deletesBefore; got != wantDeletes {
				t.Errorf("%d application deletes, want %d", got, wantDeletes)
			}
			if _, ok := tenant.Application(obj.Status.ObjectID); ok != c.wantApp {
				t.Errorf("application still in Entra = %v, want %v", ok, c.wantApp)
			}
			if sps := servicePrincipalsFor(obj.Status.AppID); (sps == 1) != c.wantApp {
				t.Errorf("%d service principals left, want app kept = %v", sps, c.wantApp)
			}
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: obj.SecretName()}, &corev1.Secret{})
			if !apierrors.IsNotFound(err) {
				t.Errorf("the Secret outlived its AppRegistration: %v", err)
			}
		})
	}
}

func TestMissingGraphPermissionIsReportedAndNoSecretLeaks(t *testing.T) {
	readOnlyID, readOnlySecret := tenant.AddClient(emulator.RoleApplicationReadAll)
	startManager(t, managerOptions{clientID: readOnlyID, secret: readOnlySecret})
	ctx := context.Background()
	ns := newNamespace(t)
	in := espoCRM(ns, "denied")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ready=False PermissionDenied", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(in))
		if c == nil {
			return false, ""
		}
		return c.Status == metav1.ConditionFalse && c.Reason == v1.ReasonPermissionDenied &&
			strings.Contains(c.Message, "Application.ReadWrite.OwnedBy"), c.Reason + ": " + c.Message
	})

	// Logs, events and statuses of every manager this suite ran, including this one's failures,
	// hold no credential and no token.
	waitForEvent(t, in, v1.ReasonPermissionDenied, "Application.ReadWrite.OwnedBy")
	assertNoSecretsLeaked(t, tenant.OperatorClientSecret(), readOnlySecret)
}

func claimNames(app emulator.Application) []string {
	var out []string
	if app.OptionalClaims != nil {
		for _, c := range app.OptionalClaims.IDToken {
			name := c.Name
			if c.Essential {
				name += "!"
			}
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p != nil {
		return *p
	}
	return zero
}

func TestASecretOwnedBySomeoneElseIsNeitherTakenNorDeleted(t *testing.T) {
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	foreign := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "taken-oidc", Namespace: ns},
		Data:       map[string][]byte{"password": []byte("belongs to someone else")},
	}
	if err := k8sClient.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	in := espoCRM(ns, "taken")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ready=False SecretConflict", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(in))
		if c == nil {
			return false, ""
		}
		return c.Reason == v1.ReasonSecretConflict && strings.Contains(c.Message, "taken-oidc"), c.Reason + ": " + c.Message
	})
	if err := k8sClient.Delete(ctx, in); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the object to go", func() (bool, string) {
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(in), &v1.AppRegistration{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	got := &corev1.Secret{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(foreign), got); err != nil {
		t.Fatalf("the foreign Secret is gone: %v", err)
	}
	if string(got.Data["password"]) != "belongs to someone else" || len(got.Data) != 1 {
		t.Errorf("the foreign Secret was changed: %v", got.Data)
	}
}
