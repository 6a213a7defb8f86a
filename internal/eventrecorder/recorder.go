// Package eventrecorder records events.k8s.io/v1 Events with bounded memory: a queue of at most
// queueSize events, one goroutine that writes them, and a small table of the series it has seen.
//
// client-go's events broadcaster keeps a deep copy of every Event it wrote for six minutes or more
// and starts a goroutine per event, which waits on the client's rate limiter; a burst of
// thousands of new objects held thousands of Events and goroutines. Here an event that cannot be
// queued or written in time is dropped and counted, as events are best effort.
package eventrecorder

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
)

const (
	// queueSize bounds the events waiting to be written: about 200 bytes each.
	queueSize = 1000
	// maxSeries bounds the series table: about 250 bytes an entry, the Event's name included. A
	// series only matters for an event that repeats within seriesWindow (a warning at each retry);
	// 1,024 distinct events in between evict it, and its next repeat is then a new Event.
	maxSeries = 1024
	// seriesWindow is how long a repeat of an event patches the existing Event, as
	// events.k8s.io defines a series; a later repeat is a new Event.
	seriesWindow = 6 * time.Minute
	// maxNote is below the 1,024 bytes the API server allows an event's note.
	maxNote = 1000
	// sendBudget bounds the time one event may hold the sender, retries and the wait for the
	// client's rate limiter included.
	sendBudget = 5 * time.Second
	// firstBackoff is the wait before the first retry; it doubles with every further one.
	firstBackoff = 250 * time.Millisecond
	// flushTimeout is how long the events queued when the manager stops may still take.
	flushTimeout = 2 * time.Second
	// dropLogInterval spaces the log lines about dropped events; the counter has every one.
	dropLogInterval = time.Minute
)

// objectRef is the part of a corev1.ObjectReference an Event needs.
type objectRef struct {
	apiVersion, kind, namespace, name, resourceVersion string
	uid                                                types.UID
}

func (o objectRef) objectReference() corev1.ObjectReference {
	return corev1.ObjectReference{APIVersion: o.apiVersion, Kind: o.kind, Namespace: o.namespace, Name: o.name,
		UID: o.uid, ResourceVersion: o.resourceVersion}
}

// record is one recorded event, as it waits in the queue.
type record struct {
	regarding                       objectRef
	related                         *objectRef
	eventType, reason, action, note string
	at                              time.Time
}

// job is what the sender does for one record: create its Event, or patch the series of entry.
type job struct {
	rec   *record
	entry *seriesEntry
}

// Recorder is an events.EventRecorder whose Eventf only queues; Start writes the queue.
type Recorder struct {
	client     client.Client
	scheme     *runtime.Scheme
	controller string
	instance   string
	log        logr.Logger
	clock      clock.PassiveClock
	seed       maphash.Seed
	queue      chan job
	// dropped counts by reason; the children are resolved once, not per drop.
	dropped map[string]prometheus.Counter

	// backoff, sendBudget and flushTimeout start as the constants above; tests shorten them.
	backoff, sendBudget, flushTimeout time.Duration

	// mu guards the series table, the drop log's state and stopped. Every send to queue happens
	// with mu held, so the table and the queue agree on which entries have a job waiting.
	mu          sync.Mutex
	series      *seriesTable
	stopped     bool
	unlogged    int
	lastDropLog time.Time
}

var (
	_ events.EventRecorder           = (*Recorder)(nil)
	_ manager.LeaderElectionRunnable = (*Recorder)(nil)
)

// New returns a recorder writing Events through c, reported by controller (a qualified name
// such as "entra-sso-operator") and instance (which replica: its pod name or hostname). Add it
// to the manager, which runs its sender.
func New(c client.Client, scheme *runtime.Scheme, controller, instance string) *Recorder {
	// The API server rejects an Event whose reportingInstance is longer than 128 characters.
	if len(instance) > 128 {
		instance = instance[:128]
	}
	return &Recorder{
		client:       c,
		scheme:       scheme,
		controller:   controller,
		instance:     instance,
		log:          logf.Log.WithName("events"),
		clock:        clock.RealClock{},
		seed:         maphash.MakeSeed(),
		queue:        make(chan job, queueSize),
		backoff:      firstBackoff,
		sendBudget:   sendBudget,
		flushTimeout: flushTimeout,
		series:       newSeriesTable(maxSeries, seriesWindow),
		dropped: map[string]prometheus.Counter{
			metrics.EventDropQueueFull: metrics.EventsDropped.WithLabelValues(metrics.EventDropQueueFull),
			metrics.EventDropFailed:    metrics.EventsDropped.WithLabelValues(metrics.EventDropFailed),
			metrics.EventDropShutdown:  metrics.EventsDropped.WithLabelValues(metrics.EventDropShutdown),
		},
	}
}

// Eventf records an event about regarding. It never blocks and sends nothing itself: the event
// is queued for Start, or dropped and counted when the queue is full.
func (r *Recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if eventtype != corev1.EventTypeNormal && eventtype != corev1.EventTypeWarning {
		r.log.Error(nil, "not recording an event of an unknown type", "type", eventtype, "reason", reason)
		return
	}
	ref, err := r.reference(regarding)
	if err != nil {
		r.log.Error(err, "not recording an event: no reference to its object", "reason", reason)
		return
	}
	rec := &record{
		regarding: ref,
		eventType: eventtype, reason: reason, action: action,
		note: truncate(fmt.Sprintf(note, args...), maxNote),
		at:   r.clock.Now(),
	}
	if related != nil {
		// As client-go does: an event loses its related object, not itself, when that has no reference.
		if rel, err := r.reference(related); err == nil {
			rec.related = &rel
		} else {
			r.log.V(1).Info("recording an event without its related object", "reason", reason, "error", err.Error())
		}
	}
	if why, ok := r.enqueue(r.key(rec), rec); !ok {
		r.drop(why, 1, nil)
	}
}

// enqueue queues rec, or only counts it when it repeats an event whose job still waits. It
// returns false, and why, when it could do neither.
func (r *Recorder) enqueue(key uint64, rec *record) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return metrics.EventDropShutdown, false
	}
	e := r.series.get(key, rec.at)
	isNew := e == nil
	if isNew {
		e = r.series.add(key, rec.at)
	} else {
		r.series.observe(e, rec.at)
		if e.queued {
			return "", true
		}
	}
	select {
	case r.queue <- job{rec: rec, entry: e}:
		e.queued = true
		return "", true
	default:
		// A repeat keeps its count, which the next repeat's patch carries; an event never
		// queued must not look sent.
		if isNew {
			r.series.forget(e)
		}
		return metrics.EventDropQueueFull, false
	}
}

// key identifies the events that are isomorphic in the events.k8s.io sense, which repeats
// patch instead of create. Unlike client-go's key it holds the note: the operator's notes name
// what happened (an application ID, a credential), and a changed one deserves its own Event.
func (r *Recorder) key(rec *record) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	fields := []string{r.controller, rec.eventType, rec.reason, rec.action, rec.note,
		string(rec.regarding.uid), rec.regarding.kind, rec.regarding.namespace, rec.regarding.name}
	if rec.related != nil {
		fields = append(fields, "related", string(rec.related.uid), rec.related.kind, rec.related.namespace, rec.related.name)
	}
	var length [binary.MaxVarintLen64]byte
	for _, f := range fields {
		// The length first, so that no two different lists of fields write the same bytes.
		_, _ = h.Write(length[:binary.PutUvarint(length[:], uint64(len(f)))])
		_, _ = h.WriteString(f)
	}
	return h.Sum64()
}

func (r *Recorder) reference(obj runtime.Object) (objectRef, error) {
	gvk, err := apiutil.GVKForObject(obj, r.scheme)
	if err != nil {
		return objectRef{}, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return objectRef{}, err
	}
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	return objectRef{apiVersion: apiVersion, kind: kind, namespace: m.GetNamespace(), name: m.GetName(),
		uid: m.GetUID(), resourceVersion: m.GetResourceVersion()}, nil
}

// drop counts n dropped events and logs it, at most once per dropLogInterval. Notes are never
// logged: the counter and the reason say enough.
func (r *Recorder) drop(reason string, n int, err error) {
	r.dropped[reason].Add(float64(n))
	r.mu.Lock()
	now := r.clock.Now()
	r.unlogged += n
	if !r.lastDropLog.IsZero() && now.Sub(r.lastDropLog) < dropLogInterval {
		r.mu.Unlock()
		return
	}
	n, r.unlogged, r.lastDropLog = r.unlogged, 0, now
	r.mu.Unlock()
	kv := []any{"dropped", n, "reason", reason}
	if err != nil {
		kv = append(kv, "error", err.Error())
	}
	r.log.Info("dropped Kubernetes events (entra_sso_operator_events_dropped_total counts them)", kv...)
}

// truncate cuts s to at most n bytes without splitting a character, copying the part it keeps
// so that a long note's memory is not held by the queue.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}
