package permissions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingFetch answers with a resource named after the app ID and counts its calls per app ID.
type countingFetch struct {
	mu    sync.Mutex
	calls map[string]int
	fail  error
	gate  chan struct{}
}

func (f *countingFetch) fetch(_ context.Context, appID string) (graph.Resource, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[appID]++
	if f.fail != nil {
		return graph.Resource{}, f.fail
	}
	return graph.Resource{AppID: appID, ObjectID: "sp-" + appID}, nil
}

func (f *countingFetch) count(appID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[appID]
}

func TestCacheServesFreshEntriesAndExpiresThem(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewCache(time.Hour, 10, clock.now)
	f := &countingFetch{}
	ctx := context.Background()
	for range 3 {
		r, _, err := c.Get(ctx, "tenant", "graph", f.fetch)
		if err != nil || r.ObjectID != "sp-graph" {
			t.Fatalf("Get = %+v, %v", r, err)
		}
	}
	if n := f.count("graph"); n != 1 {
		t.Errorf("three Gets within the TTL read Graph %d times, want 1", n)
	}
	if _, _, err := c.Get(ctx, "other-tenant", "graph", f.fetch); err != nil || f.count("graph") != 2 {
		t.Errorf("another tenant's resource must be read on its own: %d reads, %v", f.count("graph"), err)
	}
	clock.add(time.Hour)
	if _, _, err := c.Get(ctx, "tenant", "graph", f.fetch); err != nil || f.count("graph") != 3 {
		t.Errorf("an expired entry was not read again: %d reads, %v", f.count("graph"), err)
	}
}

func TestCacheRefreshAsksAgainOnlyForEntriesOlderThanAMinute(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewCache(0, 0, clock.now)
	f := &countingFetch{}
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "t", "graph", f.fetch); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Refresh(ctx, "t", "graph", f.fetch); err != nil || f.count("graph") != 1 {
		t.Errorf("a refresh of a new entry read Graph: %d reads, %v", f.count("graph"), err)
	}
	clock.add(MinRefreshAge)
	if _, fetched, err := c.Refresh(ctx, "t", "graph", f.fetch); err != nil || f.count("graph") != 2 || !fetched.Equal(clock.now()) {
		t.Errorf("a refresh of an old entry: %d reads, fetched %v, %v", f.count("graph"), fetched, err)
	}
}

func TestCacheIsBoundedAndEvictsTheLeastRecentlyUsed(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewCache(time.Hour, 3, clock.now)
	f := &countingFetch{}
	ctx := context.Background()
	for i := range 3 {
		clock.add(time.Second)
		if _, _, err := c.Get(ctx, "t", fmt.Sprint(i), f.fetch); err != nil {
			t.Fatal(err)
		}
	}
	clock.add(time.Second)
	_, _, _ = c.Get(ctx, "t", "0", f.fetch) // 0 is used again: 1 is now the least recently used
	clock.add(time.Second)
	_, _, _ = c.Get(ctx, "t", "3", f.fetch)
	if c.Len() != 3 {
		t.Errorf("the cache holds %d entries, want at most 3", c.Len())
	}
	_, _, _ = c.Get(ctx, "t", "0", f.fetch)
	_, _, _ = c.Get(ctx, "t", "2", f.fetch)
	if f.count("0") != 1 || f.count("2") != 1 {
		t.Errorf("recently used entries were evicted: reads %v", f.calls)
	}
	_, _, _ = c.Get(ctx, "t", "1", f.fetch)
	if f.count("1") != 2 {
		t.Errorf("the least recently used entry was kept: %d reads of it", f.count("1"))
	}
}

func TestCacheRemembersNoFailureAndSharesConcurrentReads(t *testing.T) {
	c := NewCache(0, 0, nil)
	notFound := &graph.Error{Kind: graph.KindNotFound}
	f := &countingFetch{fail: notFound}
	ctx := context.Background()
	for range 2 {
		if _, _, err := c.Get(ctx, "t", "missing", f.fetch); !errors.Is(err, graph.ErrNotFound) {
			t.Fatalf("Get = %v, want the fetch's not found", err)
		}
	}
	if f.count("missing") != 2 || c.Len() != 0 {
		t.Errorf("a resource Graph does not have was cached: %d reads, %d entries", f.count("missing"), c.Len())
	}

	shared := &countingFetch{gate: make(chan struct{})}
	var started, done sync.WaitGroup
	var failures atomic.Int32
	for range 8 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			if _, _, err := c.Get(ctx, "t", "graph", shared.fetch); err != nil {
				failures.Add(1)
			}
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let the goroutines reach the shared read before it returns
	close(shared.gate)
	done.Wait()
	if failures.Load() != 0 || shared.count("graph") > 2 {
		t.Errorf("8 concurrent misses made %d reads (%d failed), want them shared", shared.count("graph"), failures.Load())
	}
}
