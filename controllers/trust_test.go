package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// TestStatusCannotSteerTheOperatorToAnotherApplication plays a user who may write the status of
// AppRegistrations in their own namespace. They point status at another namespace's application and
// at an application made in the portal, then delete their object. Neither application may change or
// go; the attacker's own application keeps being managed and is the one deleted.
func TestStatusCannotSteerTheOperatorToAnotherApplication(t *testing.T) {
	_, gc := startManager(t, managerOptions{})
	ctx := context.Background()

	victim := espoCRM(newNamespace(t), "victim")
	victim.Spec.Web.RedirectURIs = []v1.RedirectURI{"https://victim.example.com/callback"}
	if err := k8sClient.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	victimApp := appsFor(waitReady(t, client.ObjectKeyFromObject(victim)))[0]
	portal, _, err := gc.UpsertApplication(ctx, "made-in-the-portal-"+string(victim.UID), graph.Application{
		DisplayName: "Made in the portal", SignInAudience: string(v1.AudienceMyOrg), GroupMembershipClaims: "None",
		Web: graph.Web{RedirectURIs: []string{"https://portal.example.com/callback"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	portalApp, _ := tenant.Application(portal.ObjectID)

	attacker := espoCRM(newNamespace(t), "attacker")
	attacker.Spec.Web.RedirectURIs = []v1.RedirectURI{"https://evil.example.com/steal"}
	if err := k8sClient.Create(ctx, attacker); err != nil {
		t.Fatal(err)
	}
	own := waitReady(t, client.ObjectKeyFromObject(attacker)).Status

	targets := []struct{ name, objectID, appID string }{
		{"another namespace's application", victimApp.ID, victimApp.AppID},
		{"a portal application", portalApp.ID, portalApp.AppID},
	}
	for i, target := range targets {
		t.Run(target.name, func(t *testing.T) {
			pointStatusAt(t, attacker, target.objectID, target.appID)
			touch(t, attacker, fmt.Sprint(i))
			waitForEvent(t, attacker, v1.ReasonStatusMismatch, target.objectID)
			waitFor(t, "the status restored from Entra and Ready", func() (bool, string) {
				obj, c := readyCondition(t, client.ObjectKeyFromObject(attacker))
				return c != nil && c.Status == metav1.ConditionTrue && obj.Status.ObjectID == own.ObjectID && obj.Status.AppID == own.AppID,
					fmt.Sprintf("%v, objectId %s", c, obj.Status.ObjectID)
			})
			secret := &corev1.Secret{}
			if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: attacker.Namespace, Name: attacker.SecretName()}, secret); err != nil {
				t.Fatal(err)
			}
			if got := string(secret.Data[secretdata.KeyClientID]); got != own.AppID {
				t.Errorf("the attacker's Secret names client %s, want its own %s", got, own.AppID)
			}
		})
	}

	// Deleting the object with status pointing at the victim deletes only the attacker's own application.
	pointStatusAt(t, attacker, victimApp.ID, victimApp.AppID)
	if err := k8sClient.Delete(ctx, attacker); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the attacker's object to go", func() (bool, string) {
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(attacker), &v1.AppRegistration{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	if _, ok := tenant.Application(own.ObjectID); ok {
		t.Error("the attacker's own application was not deleted")
	}
	for _, before := range []emulator.Application{victimApp, portalApp} {
		after, ok := tenant.Application(before.ID)
		if !ok {
			t.Errorf("application %q was deleted", before.DisplayName)
			continue
		}
		if !slices.Equal(after.Web.RedirectURIs, before.Web.RedirectURIs) || after.DisplayName != before.DisplayName {
			t.Errorf("application %q changed: redirect URIs %v, want %v", before.DisplayName, after.Web.RedirectURIs, before.Web.RedirectURIs)
		}
	}
}

// pointStatusAt writes status as someone with status rights could.
func pointStatusAt(t *testing.T, obj *v1.AppRegistration, objectID, appID string) {
	t.Helper()
	cur := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), cur); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Status.ObjectID, cur.Status.AppID = objectID, appID
	if err := k8sClient.Status().Patch(context.Background(), cur, patch); err != nil {
		t.Fatal(err)
	}
}

// touch changes an annotation, which makes the operator reconcile the object now.
func touch(t *testing.T, obj *v1.AppRegistration, value string) {
	t.Helper()
	setAnnotation(t, obj, "test/touch", value)
}

// setAnnotation patches one annotation of an object, as kubectl annotate --overwrite does.
func setAnnotation(t *testing.T, obj *v1.AppRegistration, key, value string) {
	t.Helper()
	cur := &v1.AppRegistration{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), cur); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(cur.DeepCopy())
	metav1.SetMetaDataAnnotation(&cur.ObjectMeta, key, value)
	if err := k8sClient.Patch(context.Background(), cur, patch); err != nil {
		t.Fatal(err)
	}
}

// waitForEvent waits for an event about obj with the given reason whose note contains text, and
// returns its note.
func waitForEvent(t *testing.T, obj *v1.AppRegistration, reason, text string) string {
	t.Helper()
	var note string
	waitFor(t, "a "+reason+" event", func() (bool, string) {
		var list eventsv1.EventList
		if err := k8sClient.List(context.Background(), &list, client.InNamespace(obj.Namespace)); err != nil {
			return false, err.Error()
		}
		for _, e := range list.Items {
			if e.Regarding.UID == obj.UID && e.Reason == reason && strings.Contains(e.Note, text) {
				note = e.Note
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events", len(list.Items))
	})
	return note
}

// TestThrottlingFreesTheWorkersAndEveryObjectBecomesReady: Graph answers 429 with a long Retry-After.
// The objects say Throttled, no reconcile sits out the wait in a worker, and once the wait is over
// every object is Ready with exactly one application.
func TestThrottlingFreesTheWorkersAndEveryObjectBecomesReady(t *testing.T) {
	// Four writes per 32 s: a write more waits 8 s for its token, and the 429 says so.
	srv.SetBehaviour(emulator.Behaviour{Throttle: &emulator.ThrottleConfig{
		AppWrites: 4, AppWindow: 32 * time.Second, TenantWrites: 1000, TenantWindow: time.Second,
	}})
	t.Cleanup(func() { srv.SetBehaviour(emulator.Behaviour{}) })
	srv.ResetCounters()
	startManager(t, managerOptions{})
	ctx := context.Background()
	ns := newNamespace(t)
	var objs []*v1.AppRegistration
	for i := range 3 { // six writes: an upsert and a service principal each
		o := espoCRM(ns, fmt.Sprintf("throttled-%d", i))
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	waitFor(t, "an object to report Throttled", func() (bool, string) {
		for _, o := range objs {
			if _, c := readyCondition(t, client.ObjectKeyFromObject(o)); c != nil && c.Reason == v1.ReasonThrottled {
				return strings.Contains(c.Message, "retrying in"), c.Message
			}
		}
		return false, ""
	})
	// While the objects wait out Retry-After, no reconcile is running: the workers are free.
	waitIdle(t)
	throttled := 0
	for _, o := range objs {
		if _, c := readyCondition(t, client.ObjectKeyFromObject(o)); c != nil && c.Reason == v1.ReasonThrottled {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("the operator went idle only after the throttling was over, so this proves nothing")
	}

	for _, o := range objs {
		got := waitReady(t, client.ObjectKeyFromObject(o))
		if apps := appsFor(got); len(apps) != 1 {
			t.Errorf("%s has %d applications, want one", o.Name, len(apps))
		}
		if sps := servicePrincipalsFor(got.Status.AppID); sps != 1 {
			t.Errorf("%s has %d service principals, want one", o.Name, sps)
		}
	}
	c := srv.Counters()
	t.Logf("%d writes, %d answered 429", c.Writes, c.Throttled)
	// The tenant pause keeps the operator from hammering Graph while Retry-After runs: at most one
	// 429 per object per wait, not one per worker per retry.
	if c.Throttled == 0 || c.Throttled > int64(2*len(objs)) {
		t.Errorf("%d requests answered 429, want between 1 and %d", c.Throttled, 2*len(objs))
	}
}

// TestAFailingSignInIsShortInStatusAndEventsAndWholeInTheLog: the token endpoint's answer (AADSTS
// text, trace IDs, the operator's client ID) goes to the log only; status and the event say what
// failed and what to do, and the API server accepts the event.
func TestAFailingSignInIsShortInStatusAndEventsAndWholeInTheLog(t *testing.T) {
	startManager(t, managerOptions{clientID: tenant.OperatorClientID(), secret: "not-the-operator-secret"})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "badcreds")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	var message string
	waitFor(t, "Ready=False AuthenticationFailed", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(in))
		if c == nil {
			return false, ""
		}
		message = c.Message
		return c.Reason == v1.ReasonAuthenticationFailed, c.Reason + ": " + c.Message
	})
	note := waitForEvent(t, in, v1.ReasonAuthenticationFailed, "check the operator's credentials")
	for where, text := range map[string]string{"status": message, "event": note} {
		if strings.Contains(text, tenant.OperatorClientID()) || strings.Contains(text, "Trace ID") || len(text) > 500 {
			t.Errorf("the %s says too much (%d characters): %s", where, len(text), text)
		}
		if !strings.Contains(text, "AADSTS") {
			t.Errorf("the %s does not name the AADSTS code: %s", where, text)
		}
	}
	if !strings.Contains(logs.String(), "Trace ID") {
		t.Error("the token endpoint's full answer is not in the operator's log")
	}
	if strings.Contains(logs.String(), "not-the-operator-secret") {
		t.Error("the client secret appears in the log")
	}
}

// TestTheLeastPermissionIsEnough: Application.ReadWrite.OwnedBy alone lets the operator create,
// update and delete its applications; the README and the manager manifest ask for exactly that.
func TestTheLeastPermissionIsEnough(t *testing.T) {
	ownedByID, ownedBySecret := tenant.AddClient(graph.PermissionApplicationOwnedBy)
	startManager(t, managerOptions{clientID: ownedByID, secret: ownedBySecret})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "leastprivilege")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	obj.Spec.DisplayName = "Renamed with least privilege"
	if err := k8sClient.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rename to reach Entra", func() (bool, string) {
		app, ok := tenant.Application(obj.Status.ObjectID)
		return ok && app.DisplayName == "Renamed with least privilege", app.DisplayName
	})
	if err := k8sClient.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the application to be deleted", func() (bool, string) {
		_, ok := tenant.Application(obj.Status.ObjectID)
		return !ok, ""
	})
}

// TestASilentAuthorityIsReportedInTimeAndRecoveredFrom: the token endpoint stops answering. A new
// object reports a clear reason within the configured token timeout instead of hanging a worker, and
// becomes Ready once the endpoint answers again.
func TestASilentAuthorityIsReportedInTimeAndRecoveredFrom(t *testing.T) {
	srv.SetBehaviour(emulator.Behaviour{StallTokenEndpoint: true})
	t.Cleanup(func() { srv.SetBehaviour(emulator.Behaviour{}) })
	const tokenTimeout = 2 * time.Second
	// A fresh manager has no cached token, so its first Graph call needs the silent endpoint.
	startManager(t, managerOptions{tokenTimeout: tokenTimeout})
	ctx := context.Background()
	in := espoCRM(newNamespace(t), "silent-authority")
	created := time.Now()
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	var reportedAfter time.Duration
	waitFor(t, "Ready=False AuthenticationFailed saying the authority is silent", func() (bool, string) {
		_, c := readyCondition(t, client.ObjectKeyFromObject(in))
		if c == nil {
			return false, ""
		}
		reportedAfter = time.Since(created)
		return c.Reason == v1.ReasonAuthenticationFailed && strings.Contains(c.Message, "did not answer in time"), c.Reason + ": " + c.Message
	})
	t.Logf("reported %v after the object was created (token timeout %v)", reportedAfter.Round(100*time.Millisecond), tokenTimeout)
	// Bounded by the timeout plus scheduling, never by Graph's 100 s or a reconcile's two minutes.
	if reportedAfter > 10*tokenTimeout {
		t.Errorf("the silent authority was reported only after %v", reportedAfter)
	}
	srv.SetBehaviour(emulator.Behaviour{})
	touch(t, in, "authority-back")
	waitReady(t, client.ObjectKeyFromObject(in))
}
