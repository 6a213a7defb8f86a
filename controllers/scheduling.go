package controllers

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// Which object the operator works on next, and when it reads Graph rather than its mirror.
//
// The controller's queue is controller-runtime's priority queue. Work that changes something for
// a user (a new object, a spec change, drift found by the delta poll) comes first; an object that
// is Ready for its spec, listed again when the operator starts or resynced, comes last
// (priorityLow). Among new work, namespaces take turns: the k-th object still waiting in a
// namespace gets priority -k, so one team applying a thousand objects does not make another team's
// single object wait behind all of them.

const (
	// priorityLow is for objects in sync: initial-list adds and resyncs.
	priorityLow = handler.LowPriority
	// priorityFloor is the lowest priority new work drops to, still above objects in sync.
	priorityFloor = priorityLow + 1
)

// fairPriority is the priority of new work when waiting other objects of its namespace wait already.
func fairPriority(waiting int) int { return max(-waiting, priorityFloor) }

// settled reports whether an object is in sync as far as Kubernetes can tell: Ready for its
// current generation and not being deleted.
func settled(obj *entrav1alpha1.AppRegistration) bool {
	if !obj.DeletionTimestamp.IsZero() {
		return false
	}
	c := meta.FindStatusCondition(obj.Status.Conditions, entrav1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.Generation &&
		obj.Status.ObservedGeneration == obj.Generation
}

// backstopDue is when an object verified at verified must be verified against Graph again. Each
// object's period is spread over ±10% by its UID, so objects created together are not verified
// together.
func backstopDue(verified time.Time, uid types.UID, period time.Duration) time.Time {
	h := fnv.New32a()
	_, _ = h.Write([]byte(uid))
	spread := float64(h.Sum32())/float64(1<<32)*0.2 - 0.1 // -10% .. +10%
	return verified.Add(period + time.Duration(spread*float64(period)))
}

// needsVerification reports whether a reconcile at now must read the application from Graph
// itself: never verified, or verified longer than its backstop period ago.
func needsVerification(obj *entrav1alpha1.AppRegistration, now time.Time, period time.Duration) bool {
	v := obj.Status.LastVerifiedTime
	return v == nil || !now.Before(backstopDue(v.Time, obj.UID, period))
}

// waiting tracks, per namespace, the objects queued as new work and not yet Ready.
type waiting struct {
	mu sync.Mutex
	ns map[string]map[string]struct{}
}

// add records an object as waiting and returns how many of its namespace waited before it.
func (w *waiting) add(key types.NamespacedName) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ns == nil {
		w.ns = map[string]map[string]struct{}{}
	}
	names := w.ns[key.Namespace]
	if names == nil {
		names = map[string]struct{}{}
		w.ns[key.Namespace] = names
	}
	if _, ok := names[key.Name]; ok {
		return len(names) - 1
	}
	names[key.Name] = struct{}{}
	return len(names) - 1
}

// done records that an object no longer waits: it is Ready, or gone.
func (w *waiting) done(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if names := w.ns[key.Namespace]; names != nil {
		delete(names, key.Name)
		if len(names) == 0 {
			delete(w.ns, key.Namespace)
		}
	}
}

// addWithPriority queues a request at a priority, on any queue.
func addWithPriority(q workqueue.TypedRateLimitingInterface[reconcile.Request], req reconcile.Request, priority int) {
	if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: &priority}, req)
		return
	}
	q.Add(req)
}

// appRegistrationEvents queues AppRegistrations by eventPriority.
type appRegistrationEvents struct{ waiting *waiting }

var _ handler.EventHandler = appRegistrationEvents{}

func (h appRegistrationEvents) add(obj client.Object, initialList bool, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	ar, ok := obj.(*entrav1alpha1.AppRegistration)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(ar)
	priority := priorityLow
	if !initialList || !settled(ar) {
		// A new object, a spec change, or one not Ready when the operator started: new work.
		priority = fairPriority(h.waiting.add(key))
	}
	addWithPriority(q, reconcile.Request{NamespacedName: key}, priority)
}

// Create implements handler.EventHandler.
func (h appRegistrationEvents) Create(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(e.Object, e.IsInInitialList, q)
}

// Update implements handler.EventHandler.
func (h appRegistrationEvents) Update(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(e.ObjectNew, false, q)
}

// Delete implements handler.EventHandler: the object is gone; the finalizer's work ran before.
func (h appRegistrationEvents) Delete(_ context.Context, e event.DeleteEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.waiting.done(client.ObjectKeyFromObject(e.Object))
}

// Generic implements handler.EventHandler.
func (h appRegistrationEvents) Generic(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(e.Object, false, q)
}
