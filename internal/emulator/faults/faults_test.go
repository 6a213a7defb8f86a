package faults

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestThrottleDecisions: the buckets admit what they hold, refuse with the longer wait and the
// scope that decided, and with a fixed RetryAfter stay closed that long whatever they refill.
func TestThrottleDecisions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at         time.Duration // after t0
		app        string
		allowed    bool
		retryAfter time.Duration
		scope      string
	}
	appScope := func(app string) string { return "Tenant_Application/ReadWrite/" + app + "/t1" }
	cases := []struct {
		name  string
		cfg   ThrottleConfig
		steps []step
	}{
		{
			name: "app bucket refills continuously",
			cfg:  ThrottleConfig{AppWrites: 2, AppWindow: 10 * time.Second, TenantWrites: 100, TenantWindow: time.Minute},
			steps: []step{
				{at: 0, app: "a", allowed: true, scope: appScope("a")},
				{at: 0, app: "a", allowed: true, scope: appScope("a")},
				{at: 0, app: "a", retryAfter: 5 * time.Second, scope: appScope("a")},
				{at: 5 * time.Second, app: "a", allowed: true, scope: appScope("a")},
			},
		},
		{
			name: "the tenant bucket is shared and refuses everyone",
			cfg:  ThrottleConfig{AppWrites: 10, AppWindow: time.Second, TenantWrites: 2, TenantWindow: 20 * time.Second},
			steps: []step{
				{at: 0, app: "a", allowed: true},
				{at: 0, app: "b", allowed: true},
				{at: 0, app: "c", retryAfter: 10 * time.Second, scope: "Tenant/ReadWrite/t1"},
			},
		},
		{
			name: "a short wait is still a second",
			cfg:  ThrottleConfig{AppWrites: 100, AppWindow: time.Second, TenantWrites: 1000, TenantWindow: time.Minute},
			steps: append(repeat(step{at: 0, app: "a", allowed: true}, 100),
				step{at: 0, app: "a", retryAfter: time.Second, scope: appScope("a")}),
		},
		{
			name: "a fixed Retry-After keeps the bucket closed",
			cfg:  ThrottleConfig{AppWrites: 1, AppWindow: time.Second, TenantWrites: 100, TenantWindow: time.Minute, RetryAfter: time.Hour},
			steps: []step{
				{at: 0, app: "a", allowed: true},
				{at: 0, app: "a", retryAfter: time.Hour, scope: appScope("a")},
				{at: 10 * time.Second, app: "a", retryAfter: time.Hour - 10*time.Second, scope: appScope("a")},
				{at: 10 * time.Second, app: "b", allowed: true},
				{at: time.Hour, app: "a", allowed: true},
				{at: time.Hour, app: "a", retryAfter: time.Hour, scope: appScope("a")},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th := newThrottler()
			cfg := tc.cfg
			th.configure(&cfg)
			for i, s := range tc.steps {
				d := th.takeWrite(t0.Add(s.at), "t1", s.app)
				if d.Allowed != s.allowed || (!s.allowed && (d.RetryAfter != s.retryAfter || d.Scope != s.scope || d.Usage < 1)) {
					t.Fatalf("step %d (%s at +%v): got %+v, want allowed=%v retryAfter=%v scope=%q", i, s.app, s.at, d, s.allowed, s.retryAfter, s.scope)
				}
				if s.allowed && s.scope != "" && d.Scope != s.scope {
					t.Fatalf("step %d: scope %q, want %q", i, d.Scope, s.scope)
				}
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestNoThrottleConfigAdmitsEverything: without a ThrottleConfig nothing is charged.
func TestNoThrottleConfigAdmitsEverything(t *testing.T) {
	f := New(time.Now, 1, Behaviour{})
	for range 10_000 {
		if d := f.TakeWrite("t1", "a"); !d.Allowed {
			t.Fatalf("throttled without a configuration: %+v", d)
		}
	}
	if f.Counters().Throttled != 0 {
		t.Error("counted throttling that did not happen")
	}
}

// TestStalledTokenEndpoint: a waiting request goes on when the stall is switched off, gives up
// with its context, and is released by Close; with the stall off it never waits.
func TestStalledTokenEndpoint(t *testing.T) {
	f := New(time.Now, 1, Behaviour{})
	if err := f.WaitForTokenEndpoint(context.Background()); err != nil {
		t.Fatalf("no stall: %v", err)
	}

	f.Set(Behaviour{StallTokenEndpoint: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.WaitForTokenEndpoint(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("client gave up: %v, want its deadline", err)
	}

	released := waitInBackground(f)
	select {
	case err := <-released:
		t.Fatalf("released while the stall was on: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Changing something else keeps the stall.
	f.Set(Behaviour{StallTokenEndpoint: true, Latency: time.Millisecond})
	select {
	case err := <-released:
		t.Fatalf("released by an unrelated change: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.Set(Behaviour{})
	if err := receive(t, released); err != nil {
		t.Fatalf("after the stall: %v", err)
	}

	f.Set(Behaviour{StallTokenEndpoint: true})
	released = waitInBackground(f)
	f.Close()
	if err := receive(t, released); !errors.Is(err, ErrClosed) {
		t.Fatalf("at close: %v, want ErrClosed", err)
	}
}

func waitInBackground(f *Faults) <-chan error {
	out := make(chan error, 1)
	go func() { out <- f.WaitForTokenEndpoint(context.Background()) }()
	return out
}

func receive(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting request was not released")
		return nil
	}
}

// TestVisibleAfterReplicationLag: an object becomes readable when it is as old as the lag, on
// the emulator clock.
func TestVisibleAfterReplicationLag(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := New(func() time.Time { return now }, 1, Behaviour{ReplicationLag: 30 * time.Second})
	cases := []struct {
		age  time.Duration
		want bool
	}{{0, false}, {29 * time.Second, false}, {30 * time.Second, true}, {time.Hour, true}}
	for _, tc := range cases {
		if got := f.Visible(now.Add(-tc.age)); got != tc.want {
			t.Errorf("age %v: visible=%v, want %v", tc.age, got, tc.want)
		}
	}
	f.Set(Behaviour{})
	if !f.Visible(now) {
		t.Error("without lag a new object is hidden")
	}
}

// TestHoldWrite: with conflicts on, a second write to the same object is refused and counted
// while the first holds it; other objects are free; without conflicts nothing is held.
func TestHoldWrite(t *testing.T) {
	f := New(time.Now, 1, Behaviour{ConcurrencyConflicts: true, ConcurrencyHold: time.Millisecond})
	key := func(k string) func() string { return func() string { return k } }
	release, err := f.HoldWrite(context.Background(), key("app-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.HoldWrite(context.Background(), key("app-1")); !errors.Is(err, ErrConcurrentWrite) {
		t.Errorf("overlapping write: %v", err)
	}
	other, err := f.HoldWrite(context.Background(), key("app-2"))
	if err != nil {
		t.Errorf("another object: %v", err)
	} else {
		other()
	}
	release()
	again, err := f.HoldWrite(context.Background(), key("app-1"))
	if err != nil {
		t.Errorf("after release: %v", err)
	} else {
		again()
	}
	if c := f.Counters().Conflicts; c != 1 {
		t.Errorf("conflicts = %d, want 1", c)
	}
	f.Set(Behaviour{})
	if _, err := f.HoldWrite(context.Background(), func() string { t.Error("asked for a key with conflicts off"); return "" }); err != nil {
		t.Error(err)
	}
}
