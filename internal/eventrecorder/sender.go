package eventrecorder

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
)

// NeedLeaderElection puts the sender in the manager's group of leader-elected runnables, beside
// the reconcilers that record the events: it starts with them and is stopped together with
// them, so its flush still sees what their last reconciles record. Runnables that need no
// election are stopped before the reconcilers, and the events of those last reconciles would be
// lost. On a replica that is not the leader nothing records events, so no sender is needed there.
func (r *Recorder) NeedLeaderElection() bool { return true }

// Start writes the queued events, one at a time, until ctx is done; then it writes what is
// still queued within flushTimeout, and drops the rest.
func (r *Recorder) Start(ctx context.Context) error {
	// Writes outlive ctx by flushTimeout, so an event being written when the manager stops is
	// not cut off, and the flush has a deadline.
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	stopDeadline := context.AfterFunc(ctx, func() { time.AfterFunc(r.flushTimeout, stopSending) })
	defer stopDeadline()

	expiry := time.NewTicker(time.Minute)
	defer expiry.Stop()
	for {
		select {
		case j := <-r.queue:
			r.send(sendCtx, j)
		case <-expiry.C:
			// Expired entries go without waiting for a repeat to find them.
			r.mu.Lock()
			r.series.expire(r.clock.Now())
			r.mu.Unlock()
		case <-ctx.Done():
			r.flush(sendCtx)
			return nil
		}
	}
}

// flush writes what is queued until the queue is empty or ctx is done, then stops queueing.
func (r *Recorder) flush(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case j := <-r.queue:
			r.send(ctx, j)
		default:
			r.stop()
			return
		}
	}
	r.stop()
}

// stop drops what is still queued, and all that is recorded from now on.
func (r *Recorder) stop() {
	r.mu.Lock()
	r.stopped = true
	left := len(r.queue)
	for range left {
		<-r.queue
	}
	r.mu.Unlock()
	if left > 0 {
		r.drop(metrics.EventDropShutdown, left, nil)
	}
}

// send writes one job: a patch of the series when its Event exists, else a new Event, which
// carries the series when the event repeated before it was written. The latest count of the
// entry is sent, so repeats recorded while the job waited cost no request of their own.
func (r *Recorder) send(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, r.sendBudget)
	defer cancel()
	r.mu.Lock()
	j.entry.queued = false
	e := *j.entry
	r.mu.Unlock()

	namespace, name := e.namespace, e.name
	var err error
	if name != "" {
		err = r.retry(ctx, func(ctx context.Context) error {
			return r.patchSeries(ctx, namespace, name, e.count, e.lastObserved)
		})
		if apierrors.IsNotFound(err) {
			// The Event expired on the server: the series goes on in a new one.
			name = ""
		}
	}
	if name == "" {
		namespace, name, err = r.create(ctx, r.event(j.rec, e.count, e.lastObserved))
	}
	if err != nil {
		r.drop(metrics.EventDropFailed, 1, err)
		return
	}
	r.mu.Lock()
	j.entry.namespace, j.entry.name = namespace, name
	r.mu.Unlock()
}

// event returns the Event of rec as client-go writes it, with the series when count is above one.
func (r *Recorder) event(rec *record, count int32, lastObserved time.Time) *eventsv1.Event {
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			// A cluster-scoped object's events live in the default namespace.
			Namespace: cmp.Or(rec.regarding.namespace, metav1.NamespaceDefault),
			Name:      fmt.Sprintf("%s.%x", rec.regarding.name, rec.at.UnixNano()),
		},
		EventTime:           metav1.NewMicroTime(rec.at),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              rec.action,
		Reason:              rec.reason,
		Type:                rec.eventType,
		Note:                rec.note,
		Regarding:           rec.regarding.objectReference(),
	}
	if len(validation.NameIsDNSSubdomain(ev.Name, false)) > 0 {
		// A long object name leaves no room for the timestamp: the API server picks a name.
		ev.Name, ev.GenerateName = "", "event-"
	}
	if rec.related != nil {
		related := rec.related.objectReference()
		ev.Related = &related
	}
	if count > 1 {
		ev.Series = &eventsv1.EventSeries{Count: count, LastObservedTime: metav1.NewMicroTime(lastObserved)}
	}
	return ev
}

// create writes ev and returns its namespace and name.
func (r *Recorder) create(ctx context.Context, ev *eventsv1.Event) (string, string, error) {
	attempted := false
	err := r.retry(ctx, func(ctx context.Context) error {
		err := r.client.Create(ctx, ev)
		if attempted && ev.Name != "" && apierrors.IsAlreadyExists(err) {
			// The name is unique to this event: an attempt that seemed to fail got through.
			return nil
		}
		attempted = true
		return err
	})
	return ev.Namespace, ev.Name, err
}

// patchSeries sets the series of an existing Event. A merge patch of the series alone leaves
// the rest of the Event as it was created.
func (r *Recorder) patchSeries(ctx context.Context, namespace, name string, count int32, lastObserved time.Time) error {
	patch, err := json.Marshal(struct {
		Series eventsv1.EventSeries `json:"series"`
	}{eventsv1.EventSeries{Count: count, LastObservedTime: metav1.NewMicroTime(lastObserved)}})
	if err != nil {
		return err
	}
	ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	return r.client.Patch(ctx, ev, client.RawPatch(types.MergePatchType, patch))
}

// retry runs op until it succeeds, fails for good, or ctx is done, doubling the wait between
// attempts from r.backoff.
func (r *Recorder) retry(ctx context.Context, op func(context.Context) error) error {
	wait := r.backoff
	for {
		err := op(ctx)
		if err == nil || !retriable(err) {
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		wait *= 2
	}
}

// retriable says whether a write may succeed when tried again: the server was unreachable,
// failed or throttled. Any other answer of the server (4xx) will be the same next time.
func retriable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == http.StatusTooManyRequests || code >= http.StatusInternalServerError
	}
	return true
}
