package faults

import "sync"

// conflictTracker records which applications have a write in flight, so an
// overlapping write can be refused with Directory_ConcurrencyViolation the
// way Entra refuses concurrent changes to one object.
type conflictTracker struct {
	mu       sync.Mutex
	inflight map[string]bool
}

func newConflictTracker() *conflictTracker {
	return &conflictTracker{inflight: map[string]bool{}}
}

// acquire marks key busy and reports whether it was free.
func (c *conflictTracker) acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight[key] {
		return false
	}
	c.inflight[key] = true
	return true
}

func (c *conflictTracker) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inflight, key)
}
