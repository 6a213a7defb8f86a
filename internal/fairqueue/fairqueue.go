// Package fairqueue keeps one namespace's burst of objects from starving another namespace's work.
//
// It wraps controller-runtime's priority queue. Every item that becomes due now is added with its
// priority lowered by the number of items of its namespace already waiting: the first object of a
// quiet namespace goes ahead of the thousandth object of a busy one, while each namespace's own
// items keep their order. Priorities the controller's handlers set (such as the low priority of
// the start-up list) still count: the backlog is subtracted from them.
package fairqueue

import (
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Queue is a priority queue of reconcile requests, fair across namespaces.
type Queue struct {
	priorityqueue.PriorityQueue[reconcile.Request]

	mu sync.Mutex
	// counted holds the items counted in their namespace's backlog and not handed out yet.
	counted map[reconcile.Request]struct{}
	backlog map[string]int
}

var _ priorityqueue.PriorityQueue[reconcile.Request] = (*Queue)(nil)

// New wraps inner.
func New(inner priorityqueue.PriorityQueue[reconcile.Request]) *Queue {
	return &Queue{PriorityQueue: inner, counted: map[reconcile.Request]struct{}{}, backlog: map[string]int{}}
}

// NewQueue fits controller.Options.NewQueue: the controller-runtime priority queue, made fair.
func NewQueue(controllerName string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return New(priorityqueue.New(controllerName, func(o *priorityqueue.Opts[reconcile.Request]) {
		o.RateLimiter = rateLimiter
	}))
}

// AddWithOpts implements priorityqueue.PriorityQueue. Only items due now join their namespace's
// backlog: a resync scheduled for later is no burst.
func (q *Queue) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	base := 0
	if o.Priority != nil {
		base = *o.Priority
	}
	for _, item := range items {
		priority := base
		if o.After <= 0 && !o.RateLimited {
			q.mu.Lock()
			if _, ok := q.counted[item]; !ok {
				priority -= q.backlog[item.Namespace]
				q.counted[item] = struct{}{}
				q.backlog[item.Namespace]++
			} else {
				// Already waiting: keep the priority it was given; a re-add must not push it back.
				priority = base - q.backlog[item.Namespace]
			}
			q.mu.Unlock()
		}
		opts := o
		opts.Priority = &priority
		q.PriorityQueue.AddWithOpts(opts, item)
	}
}

// Add implements workqueue.TypedInterface.
func (q *Queue) Add(item reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{}, item) }

// AddAfter implements workqueue.TypedDelayingInterface.
func (q *Queue) AddAfter(item reconcile.Request, after time.Duration) {
	q.AddWithOpts(priorityqueue.AddOpts{After: after}, item)
}

// AddRateLimited implements workqueue.TypedRateLimitingInterface.
func (q *Queue) AddRateLimited(item reconcile.Request) {
	q.AddWithOpts(priorityqueue.AddOpts{RateLimited: true}, item)
}

// Get implements workqueue.TypedInterface.
func (q *Queue) Get() (reconcile.Request, bool) {
	item, shutdown := q.PriorityQueue.Get()
	q.handedOut(item)
	return item, shutdown
}

// GetWithPriority implements priorityqueue.PriorityQueue.
func (q *Queue) GetWithPriority() (reconcile.Request, int, bool) {
	item, priority, shutdown := q.PriorityQueue.GetWithPriority()
	q.handedOut(item)
	return item, priority, shutdown
}

// handedOut takes an item off its namespace's backlog.
func (q *Queue) handedOut(item reconcile.Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.counted[item]; !ok {
		return
	}
	delete(q.counted, item)
	if q.backlog[item.Namespace]--; q.backlog[item.Namespace] <= 0 {
		delete(q.backlog, item.Namespace)
	}
}
