package faults

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// tokenBucket refills continuously at capacity/window per second up to capacity. Time is passed
// in so the emulator's clock drives it.
type tokenBucket struct {
	capacity float64
	perSec   float64
	tokens   float64
	last     time.Time
	// closedUntil is when a bucket closed by ThrottleConfig.RetryAfter opens again.
	closedUntil time.Time
}

func newTokenBucket(capacity int, window time.Duration, now time.Time) *tokenBucket {
	if capacity < 1 {
		capacity = 1
	}
	if window <= 0 {
		window = time.Second
	}
	return &tokenBucket{
		capacity: float64(capacity),
		perSec:   float64(capacity) / window.Seconds(),
		tokens:   float64(capacity),
		last:     now,
	}
}

func (b *tokenBucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
		b.last = now
	}
}

// wait reports how long until the bucket admits a write (0 if now).
func (b *tokenBucket) wait(now time.Time) time.Duration {
	b.refill(now)
	var d time.Duration
	if b.tokens < 1 {
		d = time.Duration((1 - b.tokens) / b.perSec * float64(time.Second))
	}
	if now.Before(b.closedUntil) {
		d = max(d, b.closedUntil.Sub(now))
	}
	return d
}

// refuse records a refusal: with a fixed Retry-After the bucket closes that long, once; it returns
// how long the client must wait.
func (b *tokenBucket) refuse(now time.Time, fixed time.Duration) time.Duration {
	if fixed > 0 && !now.Before(b.closedUntil) {
		b.closedUntil = now.Add(fixed)
	}
	return b.wait(now)
}

// usage is the consumed fraction of the bucket, 0..1.
func (b *tokenBucket) usage() float64 { return 1 - b.tokens/b.capacity }

// throttler holds the buckets of the current ThrottleConfig. Buckets are created lazily per tenant
// and per tenant+calling app.
type throttler struct {
	mu      sync.Mutex
	cfg     ThrottleConfig
	tenant  map[string]*tokenBucket
	perApp  map[string]*tokenBucket
	enabled bool
}

func newThrottler() *throttler {
	return &throttler{tenant: map[string]*tokenBucket{}, perApp: map[string]*tokenBucket{}}
}

// configure replaces the configuration and forgets every bucket.
func (t *throttler) configure(cfg *ThrottleConfig) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tenant = map[string]*tokenBucket{}
	t.perApp = map[string]*tokenBucket{}
	t.enabled = cfg != nil
	if cfg != nil {
		t.cfg = *cfg
	}
}

// ThrottleDecision is what a write learns from the buckets.
type ThrottleDecision struct {
	// Allowed is false for a throttled write, which must be answered 429.
	Allowed bool
	// RetryAfter is how long a throttled client must wait, at least a second.
	RetryAfter time.Duration
	// Scope is the x-ms-throttle-scope value of the bucket that decided.
	Scope string
	// Usage is the higher usage of the two buckets after this request: 0..1 when allowed, 1 or
	// more when throttled (Graph's x-ms-throttle-limit-percentage).
	Usage float64
}

// takeWrite charges one write to the app+tenant and tenant buckets. Both must admit it; otherwise
// nothing is charged and the longer wait wins.
func (t *throttler) takeWrite(now time.Time, tenantID, appID string) ThrottleDecision {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.enabled {
		return ThrottleDecision{Allowed: true}
	}
	tb := t.tenant[tenantID]
	if tb == nil {
		tb = newTokenBucket(t.cfg.TenantWrites, t.cfg.TenantWindow, now)
		t.tenant[tenantID] = tb
	}
	key := tenantID + "/" + appID
	ab := t.perApp[key]
	if ab == nil {
		ab = newTokenBucket(t.cfg.AppWrites, t.cfg.AppWindow, now)
		t.perApp[key] = ab
	}
	appWait, tenantWait := ab.wait(now), tb.wait(now)
	appScope := fmt.Sprintf("Tenant_Application/ReadWrite/%s/%s", appID, tenantID)
	tenantScope := fmt.Sprintf("Tenant/ReadWrite/%s", tenantID)
	switch {
	case appWait > 0 && appWait >= tenantWait:
		return ThrottleDecision{RetryAfter: max(ab.refuse(now, t.cfg.RetryAfter), time.Second), Scope: appScope, Usage: 1 + ab.usage()}
	case tenantWait > 0:
		return ThrottleDecision{RetryAfter: max(tb.refuse(now, t.cfg.RetryAfter), time.Second), Scope: tenantScope, Usage: 1 + tb.usage()}
	}
	ab.tokens--
	tb.tokens--
	d := ThrottleDecision{Allowed: true, Scope: appScope, Usage: ab.usage()}
	if tb.usage() > d.Usage {
		d.Scope, d.Usage = tenantScope, tb.usage()
	}
	return d
}
