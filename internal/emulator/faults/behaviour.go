// Package faults is where the Entra emulator misbehaves on purpose, the way real Entra does, so tests
// can prove the operator copes: added latency, replication lag, Graph's throttling token buckets,
// injected 5xx, 409 on concurrent writes, and a token endpoint that stalls. It also counts the
// requests served. It knows nothing of HTTP bodies: the Graph API and the identity platform ask it
// what to do and render the answer in their own protocol.
package faults

import "time"

// Behaviour switches on the ways real Entra misbehaves. The zero value is a perfectly behaved
// directory. Change it at runtime with Faults.Set (Server.SetBehaviour).
type Behaviour struct {
	// Latency is added before every request (Graph and identity platform).
	Latency time.Duration

	// ReplicationLag hides applications, service principals, app role assignments and grants from
	// reads (GET, list) until they are this old, as a read hitting another directory replica would.
	// Writes addressed to the object still find it (they go to the primary), so an upsert retried
	// after a crash never creates a duplicate. Creating a service principal for an application
	// younger than this answers 400 with the detail code NoBackingApplicationObject.
	ReplicationLag time.Duration

	// Throttle enables Graph-shaped token buckets for writes; nil disables.
	Throttle *ThrottleConfig

	// ServerErrorRate is the fraction (0..1) of Graph requests answered with ServerErrorStatus before
	// they reach a handler.
	ServerErrorRate float64
	// ServerErrorStatus is the injected status; 0 means 503. A 503 carries Retry-After so kiota's
	// retry handler retries it; 500 is not retried.
	ServerErrorStatus int
	// ServerErrorRetryAfter is the Retry-After sent with injected 503s, in whole seconds. Zero sends
	// "Retry-After: 0", which kiota retries at once, which keeps tests fast.
	ServerErrorRetryAfter time.Duration

	// ConcurrencyConflicts makes overlapping writes to one application fail with 409
	// Directory_ConcurrencyViolation, as Entra does.
	ConcurrencyConflicts bool
	// ConcurrencyHold is how long each application write holds its slot while ConcurrencyConflicts
	// is on, so overlap is observable; 0 means 25ms.
	ConcurrencyHold time.Duration

	// StallTokenEndpoint makes every token endpoint request hang, as an unreachable or overloaded
	// login.microsoftonline.com does, until the behaviour is switched off (the request then goes
	// on and is answered), the client gives up (its request context ends), or the server closes.
	// Requests are counted when they arrive, so a test sees the attempts while they hang.
	StallTokenEndpoint bool

	// DeltaTokenLifetime is how long a delta query's deltaLink or nextLink stays usable; older ones
	// answer 400 syncStateNotFound and the client must start over. 0 means Graph's 7 days for
	// directory objects. Faults.ExpireDeltaTokens expires every token issued so far at once.
	DeltaTokenLifetime time.Duration
}

// graphDeltaTokenLifetime is how long Graph keeps delta state for directory objects.
const graphDeltaTokenLifetime = 7 * 24 * time.Hour

// deltaTokenLifetime is the lifetime of delta tokens under this behaviour.
func (b Behaviour) deltaTokenLifetime() time.Duration {
	if b.DeltaTokenLifetime <= 0 {
		return graphDeltaTokenLifetime
	}
	return b.DeltaTokenLifetime
}

// ThrottleConfig sizes the write token buckets. Graph's documented identity limits for
// applications are 3,000 writes per 150 s per app+tenant and 18,000 per 5 min per tenant
// ([GraphThrottleLimits]); tests shrink them to a handful of requests.
//
// A refused write answers 429 with Retry-After (the time until the refusing bucket has a token
// again, at least a second), x-ms-throttle-scope and x-ms-throttle-information. For a long
// Retry-After, either make a window long (one write per hour gives Retry-After up to 3600), or set
// RetryAfter.
type ThrottleConfig struct {
	// AppWrites per AppWindow is the bucket for one calling application in one tenant.
	AppWrites int
	AppWindow time.Duration
	// TenantWrites per TenantWindow is the bucket shared by every caller in a tenant.
	TenantWrites int
	TenantWindow time.Duration
	// RetryAfter, when positive, is the Retry-After of every 429, and the refusing bucket stays
	// closed that long (on the emulator clock) whatever it holds, so a client that retries before
	// Retry-After has passed is refused again, as Graph may do.
	RetryAfter time.Duration
}

// GraphThrottleLimits returns Graph's documented write limits for the identity and access service
// (applications, service principals).
func GraphThrottleLimits() *ThrottleConfig {
	return &ThrottleConfig{
		AppWrites:    3000,
		AppWindow:    150 * time.Second,
		TenantWrites: 18000,
		TenantWindow: 5 * time.Minute,
	}
}

// serverErrorStatus is the status of an injected failure.
func (b Behaviour) serverErrorStatus() int {
	if b.ServerErrorStatus == 0 {
		return 503
	}
	return b.ServerErrorStatus
}

// concurrencyHold is how long a write holds its application's slot.
func (b Behaviour) concurrencyHold() time.Duration {
	if b.ConcurrencyHold <= 0 {
		return 25 * time.Millisecond
	}
	return b.ConcurrencyHold
}

func sameThrottle(a, b *ThrottleConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
