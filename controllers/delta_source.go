package controllers

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/mirror"
)

// deltaSource is where Entra's changes enter the controller. It runs the tenant's delta poll
// (started with the controller, so only the leader polls) and queues the AppRegistrations whose
// application or service principal changed. Until the first poll has primed the mirror, objects
// in sync wait here instead of reading Graph one by one: the poll covers them.
type deltaSource struct {
	poller *mirror.Poller
	uids   *uidKeys

	mu     sync.Mutex
	queue  workqueue.TypedRateLimitingInterface[reconcile.Request]
	primed bool
	parked map[types.NamespacedName]struct{}
}

var _ source.TypedSource[reconcile.Request] = (*deltaSource)(nil)

func (d *deltaSource) String() string { return "Microsoft Graph delta query" }

// Start implements source.Source: it starts the poll, which runs until ctx ends.
func (d *deltaSource) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	d.mu.Lock()
	d.queue = q
	d.mu.Unlock()
	logger := log.FromContext(ctx).WithName("delta")
	d.poller.Log = logger
	d.poller.OnChange = d.changed
	d.poller.OnPrimed = d.release
	go func() { _ = d.poller.Run(ctx) }()
	return nil
}

// park holds an object in sync until the mirror is primed; false means it is primed already.
func (d *deltaSource) park(key types.NamespacedName) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.primed {
		return false
	}
	if d.parked == nil {
		d.parked = map[types.NamespacedName]struct{}{}
	}
	d.parked[key] = struct{}{}
	return true
}

// release queues the parked objects, last in line: the mirror now answers for them.
func (d *deltaSource) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.primed = true
	for key := range d.parked {
		addWithPriority(d.queue, reconcile.Request{NamespacedName: key}, priorityLow)
	}
	d.parked = nil
}

// changed queues the AppRegistrations that manage the named applications. Drift is a change a user
// did not ask for: it goes ahead of objects in sync, at the priority of new work.
func (d *deltaSource) changed(uniqueNames []string) {
	for _, name := range uniqueNames {
		uid, ok := desired.UIDFromUniqueName(name)
		if !ok {
			continue
		}
		if key, ok := d.uids.lookup(types.UID(uid)); ok {
			addWithPriority(d.queue, reconcile.Request{NamespacedName: key}, 0)
		}
	}
}
