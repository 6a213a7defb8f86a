package eventrecorder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/entra-sso-operator/entra-sso-operator/internal/metrics"
)

// start is a whole number of microseconds, which an Event's eventTime keeps.
var start = time.Date(2026, 5, 1, 12, 0, 0, 123456000, time.UTC)

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "crm", Name: name,
		UID: types.UID("uid-" + name), ResourceVersion: "42"}}
}

// newTestRecorder returns a recorder writing to c (a fake API server when nil) on a fake clock,
// with retries short enough for a test.
func newTestRecorder(t *testing.T, c client.Client) (*Recorder, *clocktesting.FakeClock) {
	t.Helper()
	if c == nil {
		c = fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	}
	r := New(c, scheme.Scheme, "entra-sso-operator", "operator-7d9f-abcde")
	clk := clocktesting.NewFakeClock(start)
	r.clock = clk
	r.backoff, r.sendBudget, r.flushTimeout = time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	return r, clk
}

// drain sends every queued job, as the sender would, without its goroutine.
func drain(r *Recorder) {
	for len(r.queue) > 0 {
		r.send(context.Background(), <-r.queue)
	}
}

func listEvents(t *testing.T, c client.Client) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestEventfWritesOneEventWithEveryField(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, _ := newTestRecorder(t, c)
	related := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crm", Name: "espocrm-oidc", UID: "uid-secret", ResourceVersion: "7"}}
	r.Eventf(configMap("espocrm"), related, corev1.EventTypeNormal, "Created", "CreateApplication", "Created application %s", "app-1")
	drain(r)

	got := listEvents(t, c)
	if len(got) != 1 {
		t.Fatalf("%d events, want 1", len(got))
	}
	want := eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Namespace: "crm", Name: "espocrm.18ab6f405b054a00"},
		EventTime:           metav1.NewMicroTime(start),
		ReportingController: "entra-sso-operator",
		ReportingInstance:   "operator-7d9f-abcde",
		Action:              "CreateApplication",
		Reason:              "Created",
		Type:                corev1.EventTypeNormal,
		Note:                "Created application app-1",
		Regarding: corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "crm", Name: "espocrm",
			UID: "uid-espocrm", ResourceVersion: "42"},
		Related: &corev1.ObjectReference{APIVersion: "v1", Kind: "Secret", Namespace: "crm", Name: "espocrm-oidc",
			UID: "uid-secret", ResourceVersion: "7"},
	}
	e := got[0]
	e.ResourceVersion, e.TypeMeta = "", metav1.TypeMeta{}
	if !equality.Semantic.DeepEqual(e, want) {
		t.Errorf("event\n got %+v\nwant %+v", e, want)
	}
}

func TestRepeatsPatchTheSeriesOfOneEvent(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, clk := newTestRecorder(t, c)
	obj := configMap("espocrm")
	for i, wantCount := range []int32{0, 2, 3} {
		clk.SetTime(start.Add(time.Duration(i) * time.Minute))
		r.Eventf(obj, nil, corev1.EventTypeWarning, "PermissionDenied", "UpdateApplication", "%s", "forbidden")
		drain(r)
		events := listEvents(t, c)
		if len(events) != 1 {
			t.Fatalf("after %d recordings: %d events, want 1", i+1, len(events))
		}
		series := events[0].Series
		switch {
		case wantCount == 0 && series != nil:
			t.Errorf("the first recording has a series %+v", series)
		case wantCount > 0 && (series == nil || series.Count != wantCount || !series.LastObservedTime.Time.Equal(clk.Now())):
			t.Errorf("after %d recordings the series is %+v, want count %d observed %s", i+1, series, wantCount, clk.Now())
		}
	}
}

// countingClient counts the writes that reach the fake API server.
func countingClient(creates, patches *atomic.Int32) client.Client {
	return interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			creates.Add(1)
			return c.Create(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			patches.Add(1)
			return c.Patch(ctx, obj, patch, opts...)
		},
	})
}

func TestRepeatsWaitingInTheQueueBecomeOneWrite(t *testing.T) {
	var creates, patches atomic.Int32
	c := countingClient(&creates, &patches)
	r, _ := newTestRecorder(t, c)
	obj := configMap("espocrm")
	for range 3 {
		r.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "CreateApplication", "%s", "same")
	}
	drain(r)
	for range 4 {
		r.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "CreateApplication", "%s", "same")
	}
	drain(r)
	if creates.Load() != 1 || patches.Load() != 1 {
		t.Errorf("%d creates and %d patches, want one of each", creates.Load(), patches.Load())
	}
	events := listEvents(t, c)
	if len(events) != 1 || events[0].Series == nil || events[0].Series.Count != 7 {
		t.Fatalf("events %+v, want one with a series of 7", events)
	}
}

func TestEventsThatDifferAreSeparateEvents(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, clk := newTestRecorder(t, c)
	obj := configMap("espocrm")
	r.Eventf(obj, nil, corev1.EventTypeNormal, "CredentialRotated", "RotateCredential", "rotated key %s", "k1")
	clk.Step(time.Microsecond) // a new name, as the real clock would give
	r.Eventf(obj, nil, corev1.EventTypeNormal, "CredentialRotated", "RotateCredential", "rotated key %s", "k2")
	clk.Step(time.Microsecond)
	r.Eventf(configMap("suitecrm"), nil, corev1.EventTypeNormal, "CredentialRotated", "RotateCredential", "rotated key %s", "k1")
	drain(r)
	events := listEvents(t, c)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3 (a different note, a different object)", len(events))
	}
	for _, e := range events {
		if e.Series != nil {
			t.Errorf("event %s has a series", e.Name)
		}
	}
}

// readyOnce is a recorder that has written one Ready event about obj, and how to record it again.
func readyOnce(t *testing.T) (c client.Client, clk *clocktesting.FakeClock, again func()) {
	c = fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, clk := newTestRecorder(t, c)
	obj := configMap("espocrm")
	again = func() {
		r.Eventf(obj, nil, corev1.EventTypeNormal, "Ready", "Reconcile", "ready")
		drain(r)
	}
	again()
	return c, clk, again
}

func TestARepeatAfterTheSeriesWindowIsANewEvent(t *testing.T) {
	c, clk, again := readyOnce(t)
	clk.Step(seriesWindow)
	again()
	if events := listEvents(t, c); len(events) != 2 || events[0].Series != nil || events[1].Series != nil {
		t.Errorf("events %+v, want two without a series", events)
	}
}

func TestARepeatOfAnExpiredEventCreatesItAgain(t *testing.T) {
	c, clk, again := readyOnce(t)
	first := listEvents(t, c)[0]
	if err := c.Delete(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Second)
	again()
	events := listEvents(t, c)
	if len(events) != 1 || events[0].Name == first.Name || events[0].Note != "ready" || events[0].Series == nil || events[0].Series.Count != 2 {
		t.Fatalf("events %+v, want a new one carrying the series of 2", events)
	}
	// The series goes on in the new Event.
	again()
	if events := listEvents(t, c); len(events) != 1 || events[0].Series.Count != 3 {
		t.Errorf("events %+v, want the new one with a series of 3", events)
	}
}

func TestAClusterScopedObjectsEventsGoToDefault(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, _ := newTestRecorder(t, c)
	r.Eventf(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crm", UID: "uid-ns"}}, nil, corev1.EventTypeNormal, "Seen", "Watch", "seen")
	drain(r)
	events := listEvents(t, c)
	if len(events) != 1 || events[0].Namespace != metav1.NamespaceDefault || events[0].Regarding.Namespace != "" || events[0].Regarding.Kind != "Namespace" {
		t.Errorf("events %+v, want one in default about the Namespace", events)
	}
}

func TestAnObjectNameTooLongForTheEventNameLetsTheServerNameIt(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, _ := newTestRecorder(t, c)
	r.Eventf(configMap(strings.Repeat("a", 250)), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen")
	drain(r)
	events := listEvents(t, c)
	if len(events) != 1 || !strings.HasPrefix(events[0].Name, "event-") {
		t.Errorf("events %+v, want one named by the server", events)
	}
}

func TestEventfRejectsUnknownTypesAndLongNotes(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, _ := newTestRecorder(t, c)
	r.Eventf(configMap("espocrm"), nil, "Critical", "Broken", "Reconcile", "broken")
	if len(r.queue) != 0 {
		t.Fatal("an event of type Critical was queued")
	}
	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Long", "Reconcile", "%s", strings.Repeat("é", 600))
	drain(r)
	events := listEvents(t, c)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	if note := events[0].Note; len(note) > maxNote || len(note) < maxNote-1 || !utf8.ValidString(note) {
		t.Errorf("note of %d bytes (valid UTF-8: %v), want at most %d whole characters", len(note), utf8.ValidString(note), maxNote)
	}
}

func TestAFullQueueDropsWithoutBlocking(t *testing.T) {
	r, _ := newTestRecorder(t, nil)
	full := r.dropped[metrics.EventDropQueueFull]
	before := testutil.ToFloat64(full)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range queueSize + 10 {
			r.Eventf(configMap(fmt.Sprintf("cm-%d", i)), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Eventf blocked on a full queue")
	}
	if len(r.queue) != queueSize {
		t.Errorf("%d queued, want %d", len(r.queue), queueSize)
	}
	if got := testutil.ToFloat64(full) - before; got != 10 {
		t.Errorf("%v drops counted, want 10", got)
	}
	if n := r.series.len(); n != queueSize {
		t.Errorf("%d series entries, want %d: a dropped event must not look sent", n, queueSize)
	}
}

func TestTheSeriesTableStaysBounded(t *testing.T) {
	var creates, patches atomic.Int32
	// Accepts every write without keeping it: the fake API server slows down with 10,000 events.
	c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			creates.Add(1)
			return nil
		},
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			patches.Add(1)
			return nil
		},
	})
	r, clk := newTestRecorder(t, c)
	for i := range 10_000 {
		clk.Step(time.Microsecond)
		r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen %d", i)
		if len(r.queue) == queueSize {
			drain(r)
		}
	}
	drain(r)
	if n := r.series.len(); n != maxSeries {
		t.Errorf("%d series entries after 10,000 distinct events, want %d", n, maxSeries)
	}
	// The newest are kept: a repeat of the last event patches it, one of the first creates anew.
	clk.Step(time.Microsecond)
	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen %d", 9999)
	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen %d", 0)
	drain(r)
	if creates.Load() != 10_001 || patches.Load() != 1 {
		t.Errorf("%d creates and %d patches, want 10,001 and 1 (the evicted first one created again)", creates.Load(), patches.Load())
	}
}

func TestSeriesTableExpiresAndEvictsTheOldest(t *testing.T) {
	table := newSeriesTable(3, time.Minute)
	for i := range 4 {
		table.add(uint64(i), start.Add(time.Duration(i)*time.Second))
	}
	if table.len() != 3 || table.get(0, start) != nil || table.get(1, start) == nil {
		t.Fatalf("after 4 adds to a table of 3: %d entries, the first kept: %v", table.len(), table.get(0, start) != nil)
	}
	// Observing 1 makes 2 the oldest.
	table.observe(table.get(1, start.Add(4*time.Second)), start.Add(4*time.Second))
	table.expire(start.Add(time.Minute + 2*time.Second))
	if table.len() != 2 || table.get(2, start) != nil || table.get(3, start) == nil {
		t.Errorf("after expiry: %d entries, want 1 and 3", table.len())
	}
	if table.get(3, start.Add(2*time.Minute)) != nil || table.len() != 1 {
		t.Errorf("an expired entry was returned or kept")
	}
}

func TestFailedWritesAreRetriedOnlyWhenTheyMaySucceed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     error
		failures int32
		want     int // events written
		attempts int32
	}{
		{"a 500 twice", apierrors.NewInternalError(errors.New("etcd")), 2, 1, 3},
		{"a 429", apierrors.NewTooManyRequests("slow down", 1), 1, 1, 2},
		{"a network error", errors.New("connection refused"), 1, 1, 2},
		{"a 403", apierrors.NewForbidden(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "x", errors.New("rbac")), 100, 0, 1},
		{"a 422", apierrors.NewInvalid(schema.GroupKind{Group: "events.k8s.io", Kind: "Event"}, "x", nil), 100, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var attempts atomic.Int32
			c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
				Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
					if attempts.Add(1) <= tc.failures {
						return tc.fail
					}
					return c.Create(ctx, obj, opts...)
				},
			})
			r, _ := newTestRecorder(t, c)
			failed := r.dropped[metrics.EventDropFailed]
			before := testutil.ToFloat64(failed)
			r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen")
			drain(r)
			if n := len(listEvents(t, c)); n != tc.want || attempts.Load() != tc.attempts {
				t.Errorf("%d events after %d attempts, want %d after %d", n, attempts.Load(), tc.want, tc.attempts)
			}
			if got := testutil.ToFloat64(failed) - before; got != float64(1-tc.want) {
				t.Errorf("%v failures counted, want %d", got, 1-tc.want)
			}
		})
	}
}

func TestAnAPIServerThatNeverAnswersCostsOneSendBudget(t *testing.T) {
	c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			return apierrors.NewServiceUnavailable("down")
		},
	})
	r, _ := newTestRecorder(t, c)
	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen")
	began := time.Now()
	drain(r)
	if took := time.Since(began); took < r.sendBudget || took > r.sendBudget+time.Second {
		t.Errorf("gave up after %s, want about the send budget %s", took, r.sendBudget)
	}
}

func TestStartFlushesTheQueueWhenStopped(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r, clk := newTestRecorder(t, c)
	for i := range 10 {
		clk.Step(time.Microsecond)
		r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "seen %d", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(listEvents(t, c)); n != 10 {
		t.Errorf("%d events written by the flush, want 10", n)
	}
	shutdown := r.dropped[metrics.EventDropShutdown]
	before := testutil.ToFloat64(shutdown)
	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "after the stop")
	if len(r.queue) != 0 || testutil.ToFloat64(shutdown)-before != 1 {
		t.Error("an event recorded after the stop was queued, not dropped")
	}
}

func TestStartWritesWhileRunningAndReturnsDespiteAHungAPIServer(t *testing.T) {
	var hung atomic.Bool
	c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme.Scheme).Build(), interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if hung.Load() {
				<-ctx.Done()
				return ctx.Err()
			}
			return c.Create(ctx, obj, opts...)
		},
	})
	r, clk := newTestRecorder(t, c)
	r.sendBudget = time.Minute // only the flush deadline may end the hung writes
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- r.Start(ctx) }()

	r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "while running")
	deadline := time.Now().Add(5 * time.Second)
	for len(listEvents(t, c)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(listEvents(t, c)) != 1 {
		t.Fatal("the running sender wrote no event")
	}

	hung.Store(true)
	for i := range 5 {
		clk.Step(time.Microsecond)
		r.Eventf(configMap("espocrm"), nil, corev1.EventTypeNormal, "Seen", "Watch", "hung %d", i)
	}
	began := time.Now()
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after its context was cancelled")
	}
	if took := time.Since(began); took > r.flushTimeout+time.Second {
		t.Errorf("Start returned %s after the cancel, want about the flush timeout %s", took, r.flushTimeout)
	}
}
