package faults

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Faults holds the current Behaviour and everything that carries out or records it. It is safe for
// concurrent use; Set takes effect for requests that have not yet asked.
type Faults struct {
	clock func() time.Time
	beh   atomic.Pointer[Behaviour]

	counters  *counterSet
	throttle  *throttler
	conflicts *conflictTracker

	rngMu sync.Mutex
	rng   *rand.Rand

	// stallMu orders switching StallTokenEndpoint with reading it and stallOver, so a request
	// never waits on a channel that will not be closed.
	stallMu sync.Mutex
	// stallOver is closed when a token endpoint stall ends.
	stallOver chan struct{}

	closed    chan struct{}
	closeOnce sync.Once

	// deltaCutoff is when ExpireDeltaTokens last ran: delta tokens issued before it are expired.
	deltaCutoff atomic.Int64
}

// ErrClosed is returned to requests that were waiting when the emulator closed.
var ErrClosed = errors.New("the emulator is closing")

// ErrConcurrentWrite is returned by HoldWrite when another write holds the object.
var ErrConcurrentWrite = errors.New("another write to the object is in flight")

// New returns Faults that read time from clock and behave as initial. A non-zero seed makes
// injected random failures reproducible.
func New(clock func() time.Time, seed uint64, initial Behaviour) *Faults {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	f := &Faults{
		clock:     clock,
		counters:  newCounterSet(),
		throttle:  newThrottler(),
		conflicts: newConflictTracker(),
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stallOver: make(chan struct{}),
		closed:    make(chan struct{}),
	}
	f.Set(initial)
	return f
}

// Set switches the behaviour. Changing the throttle configuration resets every token bucket;
// switching StallTokenEndpoint off releases the stalled token requests.
func (f *Faults) Set(b Behaviour) {
	f.stallMu.Lock()
	prev := f.beh.Swap(&b)
	if prev != nil && prev.StallTokenEndpoint && !b.StallTokenEndpoint {
		close(f.stallOver)
		f.stallOver = make(chan struct{})
	}
	f.stallMu.Unlock()
	if prev == nil || !sameThrottle(prev.Throttle, b.Throttle) {
		f.throttle.configure(b.Throttle)
	}
}

// Behaviour is the current behaviour.
func (f *Faults) Behaviour() Behaviour { return *f.beh.Load() }

// Close releases every request waiting on a fault (a stalled token request, added latency, a held
// write) so that the server can shut down promptly.
func (f *Faults) Close() { f.closeOnce.Do(func() { close(f.closed) }) }

// Delay waits out the configured latency (real time: it is what a client experiences). It reports
// false when ctx ended or the emulator closed first, and the request should not be answered.
func (f *Faults) Delay(ctx context.Context) bool {
	d := f.Behaviour().Latency
	if d <= 0 {
		return true
	}
	return f.sleep(ctx, d) == nil
}

// sleep waits d, or until ctx ends or the emulator closes.
func (f *Faults) sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-f.closed:
		return ErrClosed
	}
}

// Visible reports whether an object created at createdAt can be read yet under the current
// replication lag. It is the directory's visibility rule.
func (f *Faults) Visible(createdAt time.Time) bool {
	lag := f.Behaviour().ReplicationLag
	return lag <= 0 || !f.clock().Before(createdAt.Add(lag))
}

// InjectedError is a failure to answer instead of serving a request.
type InjectedError struct {
	// Status is the HTTP status: 503 unless Behaviour.ServerErrorStatus says otherwise.
	Status int
	// RetryAfter is the Retry-After to send with a 503.
	RetryAfter time.Duration
}

// ServerError decides, at Behaviour.ServerErrorRate, whether a Graph request fails before it is
// served, and counts the failures.
func (f *Faults) ServerError() (InjectedError, bool) {
	b := f.Behaviour()
	if !f.chance(b.ServerErrorRate) {
		return InjectedError{}, false
	}
	f.counters.update(func(c *Counters) { c.ServerErrors++ })
	return InjectedError{Status: b.serverErrorStatus(), RetryAfter: b.ServerErrorRetryAfter}, true
}

// chance reports true with probability p.
func (f *Faults) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.Float64() < p
}

// TakeWrite charges a Graph write by appID in tenantID to the throttling buckets, and counts it
// when it is throttled.
func (f *Faults) TakeWrite(tenantID, appID string) ThrottleDecision {
	d := f.throttle.takeWrite(f.clock(), tenantID, appID)
	if !d.Allowed {
		f.counters.update(func(c *Counters) { c.Throttled++ })
	}
	return d
}

// HoldWrite takes the write slot of an object while ConcurrencyConflicts is on and keeps it for
// ConcurrencyHold, so overlapping writes can be seen. key names the object; it is only asked when
// conflicts are on. The caller runs release when the write is done. The error is
// ErrConcurrentWrite (counted) when another write holds the slot, or the reason the wait ended
// early.
func (f *Faults) HoldWrite(ctx context.Context, key func() string) (release func(), err error) {
	b := f.Behaviour()
	if !b.ConcurrencyConflicts {
		return func() {}, nil
	}
	k := key()
	if !f.conflicts.acquire(k) {
		f.counters.update(func(c *Counters) { c.Conflicts++ })
		return nil, ErrConcurrentWrite
	}
	release = func() { f.conflicts.release(k) }
	if err := f.sleep(ctx, b.concurrencyHold()); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// WaitForTokenEndpoint blocks while StallTokenEndpoint is on. It returns nil when the stall is
// over and the request may be answered, the context's error when the client gave up, and
// ErrClosed when the emulator closes.
func (f *Faults) WaitForTokenEndpoint(ctx context.Context) error {
	for {
		f.stallMu.Lock()
		stalled, over := f.Behaviour().StallTokenEndpoint, f.stallOver
		f.stallMu.Unlock()
		if !stalled {
			return nil
		}
		select {
		case <-over:
			// Switched off; look again, it may have been switched back on.
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-f.closed:
			return ErrClosed
		}
	}
}

// CountGraph counts a Graph request by its operation and class.
func (f *Faults) CountGraph(op string, write bool) {
	f.counters.update(func(c *Counters) {
		if write {
			c.Writes++
		} else {
			c.Reads++
		}
		c.ByOperation[op]++
	})
}

// CountToken counts a token endpoint request for a grant type.
func (f *Faults) CountToken(grant string) {
	f.counters.update(func(c *Counters) {
		c.TokenRequests++
		c.ByOperation["token."+grant]++
	})
}

// CountOperation counts an identity platform request that is neither Graph nor token ("authorize",
// "logout").
func (f *Faults) CountOperation(op string) {
	f.counters.update(func(c *Counters) { c.ByOperation[op]++ })
}

// Counters returns a snapshot of the request counters.
func (f *Faults) Counters() Counters { return f.counters.snapshot() }

// ResetCounters zeroes the request counters.
func (f *Faults) ResetCounters() { f.counters.reset() }

// ExpireDeltaTokens makes every delta token issued so far answer 400 syncStateNotFound, as Graph does
// when it has dropped a client's sync state.
func (f *Faults) ExpireDeltaTokens() { f.deltaCutoff.Store(f.clock().UnixNano()) }

// DeltaTokenValid reports whether a delta token issued at issued may still be used: issued after the
// last ExpireDeltaTokens and within Behaviour.DeltaTokenLifetime.
func (f *Faults) DeltaTokenValid(issued time.Time) bool {
	if issued.UnixNano() <= f.deltaCutoff.Load() {
		return false
	}
	return f.clock().Sub(issued) < f.Behaviour().deltaTokenLifetime()
}
