package controllers_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/entra-sso-operator/entra-sso-operator/internal/eventrecorder"
)

// TestRecordedEventsPassTheAPIServersValidation writes what the fake client of the recorder's own
// tests cannot judge to a real API server: an Event created with a series, a merge patch of the
// series, and the Event of a cluster-scoped object in the default namespace.
func TestRecordedEventsPassTheAPIServersValidation(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Name: newNamespace(t)}, ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "crm"}}
	if err := k8sClient.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	rec := eventrecorder.New(k8sClient, scheme, "entra-sso-operator", "envtest")
	// Twice before the sender runs: the first write creates the Event with a series of 2.
	rec.Eventf(cm, nil, corev1.EventTypeWarning, "Throttled", "UpdateApplication", "Graph asked to wait %ds", 8)
	rec.Eventf(cm, nil, corev1.EventTypeWarning, "Throttled", "UpdateApplication", "Graph asked to wait %ds", 8)
	senderCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = rec.Start(senderCtx)
	}()
	t.Cleanup(func() { stop(); <-stopped })

	waitForSeries(t, ns.Name, cm.UID, 2)
	rec.Eventf(cm, nil, corev1.EventTypeWarning, "Throttled", "UpdateApplication", "Graph asked to wait %ds", 8)
	waitForSeries(t, ns.Name, cm.UID, 3)

	rec.Eventf(ns, nil, corev1.EventTypeNormal, "Seen", "Watch", "namespace %s", ns.Name)
	waitFor(t, "the namespace's event in default", func() (bool, string) {
		var list eventsv1.EventList
		if err := k8sClient.List(ctx, &list, client.InNamespace(metav1.NamespaceDefault)); err != nil {
			return false, err.Error()
		}
		for _, e := range list.Items {
			if e.Regarding.UID == ns.UID && e.Regarding.Kind == "Namespace" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events in default", len(list.Items))
	})
}

// waitForSeries waits until the one event about uid in namespace has a series of count.
func waitForSeries(t *testing.T, namespace string, uid types.UID, count int32) {
	t.Helper()
	waitFor(t, fmt.Sprintf("one event with a series of %d", count), func() (bool, string) {
		var list eventsv1.EventList
		if err := k8sClient.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
			return false, err.Error()
		}
		var about []eventsv1.Event
		for _, e := range list.Items {
			if e.Regarding.UID == uid {
				about = append(about, e)
			}
		}
		if len(about) != 1 || about[0].Series == nil {
			return false, fmt.Sprintf("%d events", len(about))
		}
		return about[0].Series.Count == count, fmt.Sprintf("a series of %d", about[0].Series.Count)
	})
}
