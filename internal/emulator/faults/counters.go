package faults

import (
	"maps"
	"sync"
)

// Counters is a snapshot of the requests the emulator has served since start or the last reset.
// Tests and benchmarks read it to prove, for example, that a resync of an in-sync app makes no
// write.
type Counters struct {
	// Reads and Writes count Graph requests by HTTP method class (GET is a read; POST, PATCH,
	// DELETE are writes), including refused ones.
	Reads, Writes int64
	// Throttled counts 429 answers, ServerErrors injected 5xx answers.
	Throttled, ServerErrors int64
	// Conflicts counts injected 409 Directory_ConcurrencyViolation answers.
	Conflicts int64
	// TokenRequests counts token endpoint requests (not Graph reads/writes), stalled ones included.
	TokenRequests int64
	// ByOperation counts requests per operation, e.g. "application.create", "application.upsert",
	// "application.patch", "application.get", "application.list", "application.delete",
	// "application.addPassword", "servicePrincipal.create", "token.client_credentials".
	ByOperation map[string]int64
}

// counterSet is the live, goroutine-safe version of Counters.
type counterSet struct {
	mu sync.Mutex
	c  Counters
}

func newCounterSet() *counterSet {
	return &counterSet{c: Counters{ByOperation: map[string]int64{}}}
}

func (s *counterSet) update(f func(c *Counters)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.c)
}

func (s *counterSet) snapshot() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.c
	out.ByOperation = maps.Clone(s.c.ByOperation)
	return out
}

func (s *counterSet) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c = Counters{ByOperation: map[string]int64{}}
}
