package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// perObjectReads are the Graph reads that address one object: what a resync used to cost.
func perObjectReads(c emulator.Counters) int64 {
	return c.ByOperation["application.get"] + c.ByOperation["servicePrincipal.get"]
}

// createReady creates an AppRegistration and waits until it is Ready and the operator is idle.
func createReady(t *testing.T, ns, name string) *v1.AppRegistration {
	t.Helper()
	in := espoCRM(ns, name)
	if err := k8sClient.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	obj := waitReady(t, client.ObjectKeyFromObject(in))
	waitIdle(t)
	return obj
}

// waitForDeltaPoll waits until the operator has polled the tenant once more.
func waitForDeltaPoll(t *testing.T) {
	t.Helper()
	before := srv.Counters().ByOperation["servicePrincipal.delta"]
	waitFor(t, "a delta poll", func() (bool, string) {
		return srv.Counters().ByOperation["servicePrincipal.delta"] > before, ""
	})
}

func TestAPortalChangeIsPutBackByTheDeltaPollWithoutReadingTheObject(t *testing.T) {
	ns := newNamespace(t)
	startManager(t, managerOptions{delta: 300 * time.Millisecond, namespace: ns})
	obj := createReady(t, ns, "portal")
	waitForDeltaPoll(t)
	waitIdle(t)

	srv.ResetCounters()
	if err := tenant.UpdateApplication(obj.Status.ObjectID, func(a *emulator.Application) {
		a.DisplayName = "changed in the portal"
		a.Web.RedirectURIs = append(a.Web.RedirectURIs, "https://attacker.example.com/cb")
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delta poll to put the portal edit back", func() (bool, string) {
		app, _ := tenant.Application(obj.Status.ObjectID)
		return app.DisplayName == obj.Spec.DisplayName && len(app.Web.RedirectURIs) == 1, fmt.Sprintf("%q %v", app.DisplayName, app.Web.RedirectURIs)
	})
	waitIdle(t)
	c := srv.Counters()
	t.Logf("Graph calls while the edit was put back: %v", c.ByOperation)
	if n := perObjectReads(c); n != 0 {
		t.Errorf("the edit was found by %d per-object reads, want none: the delta poll reports it", n)
	}
	if c.ByOperation["application.patch"] != 1 || c.Writes != 1 {
		t.Errorf("%d writes (%v), want the one PATCH that puts the edit back", c.Writes, c.ByOperation)
	}
}

func TestAnExpiredDeltaTokenLeadsToAFullResyncThatMissesNothing(t *testing.T) {
	ns := newNamespace(t)
	startManager(t, managerOptions{delta: 3 * time.Second, namespace: ns})
	edited := createReady(t, ns, "edited")
	deleted := createReady(t, ns, "deleted")

	// Right after a poll, so the next one finds both the expired token and the changes.
	waitForDeltaPoll(t)
	srv.ResetCounters()
	if err := tenant.UpdateApplication(edited.Status.ObjectID, func(a *emulator.Application) { a.DisplayName = "changed while expired" }); err != nil {
		t.Fatal(err)
	}
	if err := tenant.DeleteApplication(deleted.Status.ObjectID); err != nil {
		t.Fatal(err)
	}
	srv.ExpireDeltaTokens()

	waitFor(t, "the edit to be put back", func() (bool, string) {
		app, _ := tenant.Application(edited.Status.ObjectID)
		return app.DisplayName == edited.Spec.DisplayName, app.DisplayName
	})
	waitFor(t, "the deleted application to be created again", func() (bool, string) {
		apps := appsFor(deleted)
		return len(apps) == 1 && apps[0].ID != deleted.Status.ObjectID, fmt.Sprintf("%d applications", len(apps))
	})
	waitReady(t, client.ObjectKeyFromObject(deleted))
	if !strings.Contains(logs.String(), "Graph dropped the applications' delta state") {
		t.Error("the operator did not log that it started over")
	}
	if c := srv.Counters(); c.ByOperation["application.get"] > 1 {
		t.Errorf("%d application reads, want at most the one that confirms the deleted application is gone: %v", c.ByOperation["application.get"], c.ByOperation)
	}
}

func TestAResyncInSyncMakesNoGraphCallWhenTheMirrorIsFresh(t *testing.T) {
	// Polled once at start-up; the next poll is an hour away, so any Graph call is the resync's.
	ns := newNamespace(t)
	startManager(t, managerOptions{delta: time.Hour, namespace: ns})
	ctx := context.Background()
	obj := createReady(t, ns, "fresh")
	if obj.Status.LastVerifiedTime == nil {
		t.Fatal("the first Ready reconcile did not record its verification")
	}

	srv.ResetCounters()
	reconciles := reconcileCount(t)
	const resyncs = 5
	for i := range resyncs {
		// An annotation change triggers a reconcile without changing the spec, as a resync does.
		obj.Annotations = map[string]string{"test/resync": fmt.Sprint(i)}
		if err := k8sClient.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
		waitIdle(t)
	}
	if got := reconcileCount(t) - reconciles; got < resyncs {
		t.Fatalf("%v reconciles, want %d", got, resyncs)
	}
	if c := srv.Counters(); c.Reads+c.Writes != 0 {
		t.Errorf("%d resyncs of an object in sync made %d Graph calls, want none: %v", resyncs, c.Reads+c.Writes, c.ByOperation)
	}
}

func TestARestartReadsNothingForObjectsInSync(t *testing.T) {
	ns := newNamespace(t)
	stop, _ := startManager(t, managerOptions{delta: time.Hour, namespace: ns})
	for i := range 3 {
		createReady(t, ns, fmt.Sprintf("restart-%d", i))
	}
	stop()

	srv.ResetCounters()
	startManager(t, managerOptions{delta: time.Hour, namespace: ns})
	waitFor(t, "the first delta poll", func() (bool, string) {
		return srv.Counters().ByOperation["servicePrincipal.delta"] > 0, ""
	})
	waitIdle(t)
	if c := srv.Counters(); perObjectReads(c) != 0 || c.Writes != 0 {
		t.Errorf("after a restart, objects in sync cost %d per-object reads and %d writes, want none: %v", perObjectReads(c), c.Writes, c.ByOperation)
	}
}

func TestOnlyTheOperatorsSecretsAreWatched(t *testing.T) {
	ns := newNamespace(t)
	startManager(t, managerOptions{namespace: ns})
	ctx := context.Background()
	obj := createReady(t, ns, "watched")

	// A Secret without the operator's label, even one the object controls, wakes nothing.
	before := reconcileCount(t)
	stranger := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "unlabelled", Namespace: ns, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: v1.GroupVersion.String(), Kind: "AppRegistration", Name: obj.Name, UID: obj.UID, Controller: ptr.To(true),
		}}},
		StringData: map[string]string{"k": "v"},
	}
	if err := k8sClient.Create(ctx, stranger); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		stranger.StringData = map[string]string{"k": fmt.Sprint(i)}
		if err := k8sClient.Update(ctx, stranger); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	waitIdle(t)
	if got := reconcileCount(t) - before; got != 0 {
		t.Errorf("changes of an unlabelled Secret caused %v reconciles, want none", got)
	}

	// The operator's own Secret, deleted, is written again.
	key := client.ObjectKey{Namespace: ns, Name: obj.SecretName()}
	owned := &corev1.Secret{}
	if err := k8sClient.Get(ctx, key, owned); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Delete(ctx, owned); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted Secret to be written again", func() (bool, string) {
		again := &corev1.Secret{}
		if err := k8sClient.Get(ctx, key, again); err != nil {
			return false, err.Error()
		}
		return again.UID != owned.UID && string(again.Data[secretdata.KeyClientID]) == obj.Status.AppID, string(again.UID)
	})
}

// reconcileCount is how many reconciles the appregistration controller has run in this process.
func reconcileCount(t *testing.T) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "appregistration" {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
