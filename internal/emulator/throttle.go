package emulator

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// tokenBucket refills continuously at capacity/window per second up to
// capacity. Time is passed in so the emulator's clock drives it.
type tokenBucket struct {
	capacity float64
	perSec   float64
	tokens   float64
	last     time.Time
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

// wait reports how long until one token is available (0 if now).
func (b *tokenBucket) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.perSec * float64(time.Second))
}

// usage is the consumed fraction of the bucket, 0..1.
func (b *tokenBucket) usage() float64 { return 1 - b.tokens/b.capacity }

// throttler holds the buckets of the current ThrottleConfig. Buckets are
// created lazily per tenant and per tenant+calling app.
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

// throttleDecision is what a write learns from the buckets.
type throttleDecision struct {
	allowed    bool
	retryAfter time.Duration
	// scope is the x-ms-throttle-scope value of the bucket that decided.
	scope string
	// usage is the higher usage of the two buckets after this request.
	usage float64
}

// takeWrite charges one write to the app+tenant and tenant buckets. Both
// must have a token; otherwise nothing is charged and the longer wait wins.
func (t *throttler) takeWrite(now time.Time, tenantID, appID string) throttleDecision {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.enabled {
		return throttleDecision{allowed: true}
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
		return throttleDecision{retryAfter: appWait, scope: appScope, usage: 1 + ab.usage()}
	case tenantWait > 0:
		return throttleDecision{retryAfter: tenantWait, scope: tenantScope, usage: 1 + tb.usage()}
	}
	ab.tokens--
	tb.tokens--
	d := throttleDecision{allowed: true, scope: appScope, usage: ab.usage()}
	if tb.usage() > d.usage {
		d.scope, d.usage = tenantScope, tb.usage()
	}
	return d
}
