package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// A 3CX-style app that also signs users in: delegated and application permissions on Graph.
func threeCXWithSignIn(ns, name string) *v1.AppRegistration {
	return crmWith(ns, name, true, v1.ResourcePermissions{Resource: v1.ResourceMicrosoftGraph,
		Delegated: []v1.PermissionName{"openid", "profile", "User.Read"}, Application: threeCXRoles})
}

// TestPendingConsentGivesAWorkingAdminConsentURL: with consent granting off the operator grants and
// reads nothing, keeps Ready True with reason ConsentPending, and hands out an admin consent URL
// that the tenant's administrator can open (and an ordinary user cannot). Once an administrator
// has, an operator that verifies consent reports it granted.
func TestPendingConsentGivesAWorkingAdminConsentURL(t *testing.T) {
	stop, _ := startManager(t, managerOptions{})
	ns := newNamespace(t)
	srv.ResetCounters()
	in := threeCXWithSignIn(ns, "pending")
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	obj := waitCondition(t, key, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonConsentPending)
	checkPendingWithConsentOff(t, obj)
	acceptAdminConsentURL(t, obj)

	// An operator that verifies consent sees it granted and drops the URL.
	stop()
	startManager(t, managerOptions{consentMode: controllers.ConsentVerify})
	touch(t, obj, "verify")
	waitCondition(t, key, v1.ConditionConsentGranted, metav1.ConditionTrue, v1.ReasonSynced)
	obj = waitCondition(t, key, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonSynced)
	if c := obj.Status.Consent; c == nil || c.AdminConsentURL != "" || len(c.Granted) != 1 ||
		!slices.Equal(c.Granted[0].Application, threeCXRoles) || len(c.Granted[0].Delegated) != 3 {
		t.Errorf("status.consent = %+v, want everything granted and no URL", c)
	}
}

// checkPendingWithConsentOff: the conditions say consent is pending, why and where, and the
// operator neither read nor granted consent.
func checkPendingWithConsentOff(t *testing.T, obj *v1.AppRegistration) {
	t.Helper()
	if msg := conditionMessage(obj, v1.ConditionReady); !strings.Contains(msg, "Admin consent is pending") {
		t.Errorf("Ready message %q does not say consent is pending", msg)
	}
	if msg := conditionMessage(obj, v1.ConditionConsentGranted); !strings.Contains(msg, "--consent-mode=off") ||
		!strings.Contains(msg, "status.consent.adminConsentUrl") {
		t.Errorf("ConsentGranted message %q does not say why and where", msg)
	}
	waitIdle(t)
	if ops := srv.Counters().ByOperation; ops["oauth2PermissionGrant.list"]+ops["servicePrincipal.appRoleAssignments.list"] != 0 {
		t.Errorf("with consent off the operator read consent: %v", ops)
	}
	if grants, roles := consentOnSP(obj.Status.ServicePrincipalID); len(grants) != 0 || len(roles) != 0 {
		t.Fatalf("with consent off something was granted: %v %v", grants, roles)
	}
}

// acceptAdminConsentURL opens the object's admin consent URL as an ordinary user (refused) and as
// the tenant's administrator (accepted), then proves the consent with tokens.
func acceptAdminConsentURL(t *testing.T, obj *v1.AppRegistration) {
	t.Helper()
	consentURL := obj.Status.Consent.AdminConsentURL
	u, err := url.Parse(consentURL)
	if err != nil || u.Query().Get("client_id") != obj.Status.AppID || u.Query().Get("redirect_uri") != crmCallback ||
		!strings.HasPrefix(consentURL, srv.AuthorityHost()+tenant.ID()+"/v2.0/adminconsent?") {
		t.Fatalf("admin consent URL %q", consentURL)
	}
	refused := noRedirectGet(t, consentURL+"&login_hint="+url.QueryEscape(tenant.Users()[1].UserPrincipalName), http.StatusForbidden)
	if !strings.Contains(refused.Fragment, "AADSTS90094") {
		t.Errorf("an ordinary user's refusal does not carry AADSTS90094: %.200s", refused.Fragment)
	}
	if grants, roles := consentOnSP(obj.Status.ServicePrincipalID); len(grants) != 0 || len(roles) != 0 {
		t.Fatalf("an ordinary user's refused consent granted %v %v", grants, roles)
	}
	// The administrator (the first seeded user) accepts it and is sent back to the CRM.
	back := noRedirectGet(t, consentURL, http.StatusFound)
	if back.Query().Get("admin_consent") != "True" || back.Query().Get("tenant") != tenant.ID() ||
		!strings.HasPrefix(back.String(), crmCallback+"?") {
		t.Fatalf("the admin consent endpoint sent the administrator to %s", back)
	}
	secret := addClientSecret(t, obj.Status.ObjectID)
	if got, want := appRoles(t, obj.Status.AppID, secret), strs(threeCXRoles); !slices.Equal(got, want) {
		t.Errorf("after the administrator's consent the token carries %v, want %v", got, want)
	}
	if got := userScopes(t, obj.Status.AppID, secret, []v1.PermissionName{"openid", "profile", "User.Read"}); !slices.Equal(sorted(got), []string{"User.Read", "openid", "profile"}) {
		t.Errorf("after the administrator's consent scp = %v", got)
	}
}

// TestVerifyModeReportsWhatIsMissingAndGrantsNothing: adminConsent asks for consent, but an
// operator that only verifies grants nothing and names what is missing.
func TestVerifyModeReportsWhatIsMissingAndGrantsNothing(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentVerify})
	ns := newNamespace(t)
	in := threeCXWithSignIn(ns, "verify")
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	obj := waitCondition(t, client.ObjectKeyFromObject(in), v1.ConditionConsentGranted, metav1.ConditionFalse, v1.ReasonConsentPending)
	msg := conditionMessage(obj, v1.ConditionConsentGranted)
	if !strings.Contains(msg, "MicrosoftGraph application permission Calendars.Read") || !strings.Contains(msg, "--consent-mode=verify") {
		t.Errorf("ConsentGranted message %q does not name what is missing and why", msg)
	}
	if grants, roles := consentOnSP(obj.Status.ServicePrincipalID); len(grants) != 0 || len(roles) != 0 {
		t.Errorf("verify mode granted %v %v", grants, roles)
	}
	if obj.Status.Consent == nil || obj.Status.Consent.AdminConsentURL == "" || len(obj.Status.Consent.Granted) != 0 {
		t.Errorf("status.consent = %+v, want a URL and nothing granted", obj.Status.Consent)
	}
}

// TestInSyncResyncWithConsentMakesNoWrite counts the Graph calls of resyncs of an object whose
// permissions and consent are in sync: no write, no resource lookup (cached), and one read each of
// the application, its service principal, its grants and its assignments.
func TestInSyncResyncWithConsentMakesNoWrite(t *testing.T) {
	startManager(t, managerOptions{consentMode: controllers.ConsentGrant,
		consentPolicy: mustPolicy(t, "MicrosoftGraph:delegated:*,MicrosoftGraph:application:*")})
	ns := newNamespace(t)
	in := threeCXWithSignIn(ns, "budget")
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(in)
	waitCondition(t, key, v1.ConditionConsentGranted, metav1.ConditionTrue, v1.ReasonSynced)
	obj := waitReady(t, key)
	waitIdle(t)

	const resyncs = 5
	c := resyncAndCount(t, obj, resyncs, "servicePrincipal.appRoleAssignments.list")
	t.Logf("in-sync resync with consent managed: %.1f Graph reads, %.1f Graph writes per reconcile (%v)",
		float64(c.Reads)/resyncs, float64(c.Writes)/resyncs, c.ByOperation)
	if c.Writes != 0 {
		t.Errorf("%d resyncs of an object in sync made %d writes: %v", resyncs, c.Writes, c.ByOperation)
	}
	want := map[string]int64{"application.get": resyncs, "servicePrincipal.get": resyncs,
		"oauth2PermissionGrant.list": resyncs, "servicePrincipal.appRoleAssignments.list": resyncs}
	for op, n := range want {
		if c.ByOperation[op] != n {
			t.Errorf("%s: %d calls in %d resyncs, want %d (the resource is cached)", op, c.ByOperation[op], resyncs, n)
		}
	}
	if c.Reads != 4*resyncs {
		t.Errorf("%d reads in %d resyncs, want 4 each: %v", c.Reads, resyncs, c.ByOperation)
	}
}

// TestEachConsentModeNeedsOnlyWhatTheREADMESays runs the operator with the Graph permissions the
// README lists per mode: verify works with Application.ReadWrite.OwnedBy and Directory.Read.All, and
// a missing permission is named in Ready as the one that mode needs.
func TestEachConsentModeNeedsOnlyWhatTheREADMESays(t *testing.T) {
	cases := []struct {
		name       string
		roles      []string
		mode       controllers.ConsentMode
		wantReason string
		// wantPermission must appear in Ready's message.
		wantPermission string
	}{
		{"verify with its permissions", []string{emulator.RoleApplicationReadWriteOwnedBy, emulator.RoleDirectoryReadAll},
			controllers.ConsentVerify, v1.ReasonConsentPending, ""},
		{"verify without Directory.Read.All", []string{emulator.RoleApplicationReadWriteOwnedBy},
			controllers.ConsentVerify, v1.ReasonPermissionDenied, "Directory.Read.All"},
		{"grant without the consent permissions", []string{emulator.RoleApplicationReadWriteOwnedBy},
			controllers.ConsentGrant, v1.ReasonPermissionDenied, "DelegatedPermissionGrant.ReadWrite.All"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, secret := tenant.AddClient(c.roles...)
			o := managerOptions{clientID: id, secret: secret, consentMode: c.mode}
			if c.mode == controllers.ConsentGrant {
				o.consentPolicy = mustPolicy(t, "MicrosoftGraph:delegated:*,MicrosoftGraph:application:*")
			}
			stop, _ := startManager(t, o)
			defer stop()
			ns := newNamespace(t)
			in := threeCXWithSignIn(ns, fmt.Sprintf("mode-%d", i))
			if err := k8sClient.Create(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			status := metav1.ConditionFalse
			if c.wantReason == v1.ReasonConsentPending {
				status = metav1.ConditionTrue
			}
			obj := waitCondition(t, client.ObjectKeyFromObject(in), v1.ConditionReady, status, c.wantReason)
			if msg := conditionMessage(obj, v1.ConditionReady); !strings.Contains(msg, c.wantPermission) {
				t.Errorf("Ready message %q does not name %s", msg, c.wantPermission)
			}
		})
	}
}

// resyncAndCount makes the operator reconcile obj n times without a spec change, as resyncs do
// (an annotation change triggers a reconcile), each time until Graph served the operation lastOp
// (the reconcile's last read), and returns the Graph requests the emulator counted meanwhile.
func resyncAndCount(t *testing.T, obj *v1.AppRegistration, n int, lastOp string) emulator.Counters {
	t.Helper()
	srv.ResetCounters()
	operatorGraphCalls.Store(0)
	for i := range n {
		before := srv.Counters().ByOperation[lastOp]
		touch(t, obj, fmt.Sprint(i))
		waitFor(t, "the reconcile to read Graph ("+lastOp+")", func() (bool, string) {
			return srv.Counters().ByOperation[lastOp] > before, ""
		})
	}
	waitIdle(t)
	return srv.Counters()
}
