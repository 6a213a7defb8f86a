package eventrecorder

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// distinctEvents is the burst measured: one new event for each of as many objects, as when
// thousands of AppRegistrations are created at once.
const distinctEvents = 5000

// sink stands for the API server. It accepts every write and keeps nothing, at once or, when
// slow, only once ctx is done: a client waiting on its rate limiter looks the same.
type sink struct {
	ctx    context.Context
	slow   bool
	writes atomic.Int64
}

func (s *sink) write() {
	if s.slow {
		<-s.ctx.Done()
	}
	s.writes.Add(1)
}

// The events.EventSink of client-go's broadcaster.

func (s *sink) Create(_ context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	s.write()
	return ev, nil
}

func (s *sink) Update(_ context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	s.write()
	return ev, nil
}

func (s *sink) Patch(_ context.Context, ev *eventsv1.Event, _ []byte) (*eventsv1.Event, error) {
	s.write()
	return ev, nil
}

// client is the same sink as this recorder's client.
func (s *sink) client() client.Client {
	return interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			s.write()
			return nil
		},
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			s.write()
			return nil
		},
	})
}

// memory returns the live heap after a full collection, and the goroutines' stacks.
func memory() (heap, stacks uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// newRecorder starts a recorder writing to s and returns its Eventf.
type newRecorder func(ctx context.Context, s *sink) func(obj *corev1.ConfigMap)

// measureBurst records distinctEvents events about as many objects and reports the memory the
// recorder holds afterwards beside what was live before it was made: once the API server has
// taken every event (held for as long as the recorder remembers them: six minutes and more), or
// while a slow one has taken none.
func measureBurst(b *testing.B, slow bool, start newRecorder) {
	objs := make([]*corev1.ConfigMap, distinctEvents)
	for i := range objs {
		objs[i] = configMap(fmt.Sprintf("espocrm-%d", i))
	}
	var heap, stacks, goroutines, written float64
	// The first round is not counted: it pays for what is made once per process (scheme
	// lookups, caches, metrics), not per recorder.
	for round := range b.N + 1 {
		ctx, cancel := context.WithCancel(context.Background())
		s := &sink{ctx: ctx, slow: slow}
		heapBefore, stacksBefore := memory()
		goroutinesBefore := runtime.NumGoroutine()
		record := start(ctx, s)
		for i, obj := range objs {
			// Paced as reconciles record events, not faster than either recorder hands them
			// on: client-go's broadcaster drops events too when its watcher's channel is full.
			if i%250 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			record(obj)
		}
		// Done when every event is written, or nothing has moved for a second.
		for last, still := int64(-1), time.Now(); s.writes.Load() < distinctEvents && time.Since(still) < time.Second; {
			if n := s.writes.Load(); n != last {
				last, still = n, time.Now()
			}
			time.Sleep(20 * time.Millisecond)
		}
		heapAfter, stacksAfter := memory()
		if round > 0 {
			written += float64(s.writes.Load())
			heap += float64(heapAfter) - float64(heapBefore)
			stacks += float64(stacksAfter) - float64(stacksBefore)
			goroutines += float64(runtime.NumGoroutine() - goroutinesBefore)
		}
		runtime.KeepAlive(record)
		cancel()
	}
	n := float64(b.N)
	b.ReportMetric(heap/n/(1<<20), "MiB-heap")
	b.ReportMetric(stacks/n/(1<<20), "MiB-stacks")
	b.ReportMetric(goroutines/n, "goroutines")
	b.ReportMetric(written/n, "events-written")
}

// BenchmarkMemoryAfterABurstOfEvents compares the memory held after 5,000 distinct events by
// client-go's events broadcaster (behind mgr.GetEventRecorder) and by this recorder, with an
// API server that takes them at once and one that is slow. It prints; it asserts nothing. Run:
//
//	go test ./internal/eventrecorder/ -run '^$' -bench MemoryAfterABurst -benchtime 3x
func BenchmarkMemoryAfterABurstOfEvents(b *testing.B) {
	clientGo := func(ctx context.Context, s *sink) func(*corev1.ConfigMap) {
		broadcaster := events.NewBroadcaster(s)
		if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
			b.Fatal(err)
		}
		context.AfterFunc(ctx, broadcaster.Shutdown)
		rec := broadcaster.NewRecorder(scheme.Scheme, "entra-sso-operator")
		return func(obj *corev1.ConfigMap) {
			rec.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "CreateApplication", "Created application %s", obj.Name)
		}
	}
	this := func(ctx context.Context, s *sink) func(*corev1.ConfigMap) {
		rec := New(s.client(), scheme.Scheme, "entra-sso-operator", "operator-7d9f-abcde")
		go func() { _ = rec.Start(ctx) }()
		return func(obj *corev1.ConfigMap) {
			rec.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "CreateApplication", "Created application %s", obj.Name)
		}
	}
	for _, slow := range []bool{false, true} {
		server := "fast"
		if slow {
			server = "slow"
		}
		b.Run("client-go/"+server, func(b *testing.B) { measureBurst(b, slow, clientGo) })
		b.Run("eventrecorder/"+server, func(b *testing.B) { measureBurst(b, slow, this) })
	}
}
