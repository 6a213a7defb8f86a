package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

func readyObject(ns, name string, generation, observed int64, ready metav1.ConditionStatus) *entrav1alpha1.AppRegistration {
	obj := &entrav1alpha1.AppRegistration{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: generation}}
	obj.Status.ObservedGeneration = observed
	obj.Status.Conditions = []metav1.Condition{{Type: entrav1alpha1.ConditionReady, Status: ready, ObservedGeneration: observed}}
	return obj
}

// recordingQueue is a priority queue that records what was added, at which priority.
type recordingQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	added map[string]int
}

func (q *recordingQueue) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	for _, it := range items {
		q.added[it.String()] = *o.Priority
	}
}

func TestEventPriorities(t *testing.T) {
	deleting := readyObject("a", "deleting", 2, 2, metav1.ConditionTrue)
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	cases := []struct {
		name        string
		obj         *entrav1alpha1.AppRegistration
		initialList bool
		// waitingBefore objects of the namespace are new work already.
		waitingBefore int
		want          int
	}{
		{name: "in sync, listed at start-up, goes last", obj: readyObject("a", "x", 3, 3, metav1.ConditionTrue), initialList: true, want: priorityLow},
		{name: "not Ready at start-up goes first", obj: readyObject("a", "x", 3, 3, metav1.ConditionFalse), initialList: true, want: 0},
		{name: "Ready for an older spec at start-up goes first", obj: readyObject("a", "x", 4, 3, metav1.ConditionTrue), initialList: true, want: 0},
		{name: "being deleted at start-up goes first", obj: deleting, initialList: true, want: 0},
		{name: "a new object alone in its namespace goes first", obj: readyObject("b", "x", 1, 0, metav1.ConditionUnknown), want: 0},
		{name: "the third waiting object of a namespace waits its turn", obj: readyObject("c", "x", 1, 0, metav1.ConditionUnknown), waitingBefore: 2, want: -2},
		{name: "a bulk never sinks below objects in sync", obj: readyObject("d", "x", 1, 0, metav1.ConditionUnknown), waitingBefore: 500, want: priorityFloor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := appRegistrationEvents{waiting: &waiting{}}
			for i := range tc.waitingBefore {
				h.waiting.add(types.NamespacedName{Namespace: tc.obj.Namespace, Name: fmt.Sprintf("other-%d", i)})
			}
			q := &recordingQueue{added: map[string]int{}}
			h.Create(context.Background(), event.CreateEvent{Object: tc.obj, IsInInitialList: tc.initialList}, q)
			key := types.NamespacedName{Namespace: tc.obj.Namespace, Name: tc.obj.Name}.String()
			if got, ok := q.added[key]; !ok || got != tc.want {
				t.Errorf("queued at %d (queued: %v), want %d", got, ok, tc.want)
			}
		})
	}
}

func TestWaitingTurnsAreGivenBack(t *testing.T) {
	w := &waiting{}
	a, b := types.NamespacedName{Namespace: "n", Name: "a"}, types.NamespacedName{Namespace: "n", Name: "b"}
	if w.add(a) != 0 || w.add(b) != 1 || w.add(a) != 1 {
		t.Fatal("positions are not counted per waiting object")
	}
	w.done(a)
	w.done(b)
	if w.add(b) != 0 {
		t.Error("objects that are done still count")
	}
}

func TestBackstop(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	period := 48 * time.Hour
	obj := readyObject("a", "x", 1, 1, metav1.ConditionTrue)
	obj.UID = "6b1c6f39-0000-4000-8000-000000000001"
	cases := []struct {
		name     string
		verified *time.Time
		want     bool
	}{
		{name: "never verified", want: true},
		{name: "just verified", verified: &now, want: false},
		{name: "verified 40 hours ago (within -10%)", verified: new(now.Add(-40 * time.Hour)), want: false},
		{name: "verified 53 hours ago (past +10%)", verified: new(now.Add(-53 * time.Hour)), want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj.Status.LastVerifiedTime = nil
			if tc.verified != nil {
				obj.Status.LastVerifiedTime = &metav1.Time{Time: *tc.verified}
			}
			if got := needsVerification(obj, now, period); got != tc.want {
				t.Errorf("needsVerification = %v, want %v", got, tc.want)
			}
		})
	}
	// Objects verified together come due at different times, within ±10%.
	seen := map[time.Time]bool{}
	for _, uid := range []types.UID{"a", "b", "c", "d", "e"} {
		due := backstopDue(now, uid, period)
		if due.Before(now.Add(period*9/10)) || due.After(now.Add(period*11/10)) {
			t.Errorf("due %s is not within ±10%% of the period", due.Sub(now))
		}
		seen[due] = true
	}
	if len(seen) < 4 {
		t.Errorf("five objects verified together come due at only %d times", len(seen))
	}
}

var _ workqueue.TypedRateLimitingInterface[reconcile.Request] = (*recordingQueue)(nil)
