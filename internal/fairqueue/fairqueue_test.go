package fairqueue

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func req(ns string, i int) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: fmt.Sprint(i)}}
}

func newQueue(t *testing.T) *Queue {
	t.Helper()
	q := NewQueue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]()).(*Queue)
	t.Cleanup(q.ShutDown)
	return q
}

// get takes the next item and marks it done, as a worker would.
func get(t *testing.T, q *Queue) reconcile.Request {
	t.Helper()
	done := make(chan reconcile.Request, 1)
	go func() {
		item, _ := q.Get()
		done <- item
	}()
	select {
	case item := <-done:
		q.Done(item)
		return item
	case <-time.After(10 * time.Second):
		t.Fatal("the queue handed nothing out")
		return reconcile.Request{}
	}
}

// TestAQuietNamespaceGoesAheadOfABurst: a thousand objects of one namespace are queued, then one of
// another namespace; it is handed out second, not a thousand-and-first. The burst keeps its order.
func TestAQuietNamespaceGoesAheadOfABurst(t *testing.T) {
	q := newQueue(t)
	for i := range 1000 {
		q.Add(req("busy", i))
	}
	q.Add(req("quiet", 0))
	// The queue batches adds; wait until all are in.
	deadline := time.Now().Add(10 * time.Second)
	for q.Len() < 1001 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := get(t, q); got != req("busy", 0) {
		t.Fatalf("first out: %v", got)
	}
	if got := get(t, q); got != req("quiet", 0) {
		t.Fatalf("second out: %v, want the quiet namespace's object", got)
	}
	for i := 1; i < 5; i++ {
		if got := get(t, q); got != req("busy", i) {
			t.Fatalf("the burst lost its order: got %v, want busy/%d", got, i)
		}
	}
}

// TestTheBacklogShrinksAsItemsAreHandedOut: once a namespace's items are out, its next item is not
// held back by them; a duplicate add does not count twice.
func TestTheBacklogShrinksAsItemsAreHandedOut(t *testing.T) {
	q := newQueue(t)
	q.Add(req("a", 0))
	q.Add(req("a", 0)) // deduplicated by the queue, and in the backlog once
	q.Add(req("a", 1))
	q.mu.Lock()
	if q.backlog["a"] != 2 {
		t.Errorf("backlog of a = %d, want 2", q.backlog["a"])
	}
	q.mu.Unlock()
	get(t, q)
	get(t, q)
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.backlog) != 0 || len(q.counted) != 0 {
		t.Errorf("after handing everything out: backlog %v, counted %d", q.backlog, len(q.counted))
	}
}

// TestLaterWorkIsNoBurst: items scheduled for later (resyncs, retries) do not weigh on their
// namespace's priority now.
func TestLaterWorkIsNoBurst(t *testing.T) {
	q := newQueue(t)
	for i := range 100 {
		q.AddAfter(req("resyncing", i), time.Hour)
	}
	q.AddRateLimited(req("resyncing", 100))
	q.AddWithOpts(priorityqueue.AddOpts{}, req("resyncing", 101))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.backlog["resyncing"] != 1 {
		t.Errorf("backlog = %d, want only the item due now", q.backlog["resyncing"])
	}
}
