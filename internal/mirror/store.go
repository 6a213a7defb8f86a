// Package mirror keeps the operator's picture of one tenant: the applications it manages and
// their service principals, primed by a full delta round, kept current by a delta poll
// (Poller) and by the operator's own writes (Client, a decorator of graph.Client). While the
// picture is fresh, a reconcile of an object in sync reads it instead of Graph and costs no
// Graph call; whatever the mirror does not know for sure it does not answer, and the reconcile
// reads Graph as before.
package mirror

import (
	"strings"
	"sync"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Store is the mirror of one tenant. It is safe for concurrent use.
type Store struct {
	clock func() time.Time
	// managed says which unique names are the operator's; nothing else is kept.
	managed func(uniqueName string) bool
	// staleAfter is how long after the last completed poll the mirror still answers.
	staleAfter time.Duration

	mu sync.Mutex
	// apps holds the managed applications by lower-cased unique name, with indexes by object ID
	// and app ID (lower-cased) for delta entries, which name objects by ID.
	apps       map[string]*entry
	byObjectID map[string]string
	byAppID    map[string]string
	// sps maps a managed application's app ID to its service principal's object ID, spByID back.
	sps    map[string]string
	spByID map[string]string

	primed   bool
	broken   bool
	syncedAt time.Time

	// writes counts the operator's own writes and direct reads; lastWrite records, per application,
	// the count at its latest one. A delta page fetched before that count may describe the
	// application as it was before: it is not trusted for that application.
	writes    uint64
	lastWrite map[string]uint64
}

// entry is one managed application. A stale entry keeps its IDs (so delta entries can still be
// mapped to it) but does not answer reads: the next reconcile reads Graph.
type entry struct {
	app   graph.Application
	stale bool
}

// NewStore returns an empty mirror that keeps the applications managed reports true for and stops
// answering staleAfter after the last completed poll.
func NewStore(clock func() time.Time, managed func(uniqueName string) bool, staleAfter time.Duration) *Store {
	if clock == nil {
		clock = time.Now
	}
	return &Store{
		clock: clock, managed: managed, staleAfter: staleAfter,
		apps: map[string]*entry{}, byObjectID: map[string]string{}, byAppID: map[string]string{},
		sps: map[string]string{}, spByID: map[string]string{}, lastWrite: map[string]uint64{},
	}
}

func key(s string) string { return strings.ToLower(s) }

// Fresh reports whether the mirror may answer reads: primed by a full round, its delta state
// valid, and polled within staleAfter.
func (s *Store) Fresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.freshLocked()
}

func (s *Store) freshLocked() bool {
	return s.primed && !s.broken && s.clock().Sub(s.syncedAt) <= s.staleAfter
}

// Primed reports whether a full round has completed since the operator started.
func (s *Store) Primed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.primed
}

// Application returns the mirrored application with this unique name, when the mirror is fresh
// and knows it for sure.
func (s *Store) Application(uniqueName string) (graph.Application, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.apps[key(uniqueName)]
	if e == nil || e.stale || !s.freshLocked() {
		return graph.Application{}, false
	}
	return e.app, true
}

// ServicePrincipal returns the service principal of a managed application, when the mirror is
// fresh and knows it.
func (s *Store) ServicePrincipal(appID string) (graph.ServicePrincipal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sps[key(appID)]
	if !ok || !s.freshLocked() {
		return graph.ServicePrincipal{}, false
	}
	return graph.ServicePrincipal{ObjectID: id, AppID: appID}, true
}

// noteWrite records a write or direct read of an application; callers hold mu.
func (s *Store) noteWrite(k string) {
	s.writes++
	s.lastWrite[k] = s.writes
}

// WriteMark is the count of own writes so far; a delta page fetched after taking it is trusted only
// for applications not written since.
func (s *Store) WriteMark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// PutApplication records an application as the operator just created or read it, complete.
func (s *Store) PutApplication(app graph.Application) {
	if !s.managed(app.UniqueName) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(app.UniqueName)
	s.noteWrite(k)
	s.setLocked(k, &entry{app: app})
}

// setLocked stores an entry and indexes it; callers hold mu.
func (s *Store) setLocked(k string, e *entry) {
	if old := s.apps[k]; old != nil {
		delete(s.byObjectID, key(old.app.ObjectID))
		delete(s.byAppID, key(old.app.AppID))
	}
	s.apps[k] = e
	if e.app.ObjectID != "" {
		s.byObjectID[key(e.app.ObjectID)] = k
	}
	if e.app.AppID != "" {
		s.byAppID[key(e.app.AppID)] = k
	}
}

// removeLocked forgets an application and its service principal; callers hold mu.
func (s *Store) removeLocked(k string) {
	e := s.apps[k]
	if e == nil {
		return
	}
	delete(s.byObjectID, key(e.app.ObjectID))
	delete(s.byAppID, key(e.app.AppID))
	if sp, ok := s.sps[key(e.app.AppID)]; ok {
		delete(s.spByID, key(sp))
		delete(s.sps, key(e.app.AppID))
	}
	delete(s.apps, k)
}

// MergeWrite records what a successful write of fields set on the application: the mirror then
// holds what Graph holds, without reading it back. An application the mirror does not hold stays
// unknown.
func (s *Store) MergeWrite(uniqueName string, app graph.Application, fields []graph.Field) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(uniqueName)
	s.noteWrite(k)
	if e := s.apps[k]; e != nil {
		for _, f := range fields {
			if merge := mergers[string(f)]; merge != nil {
				merge(&e.app, app)
			} else {
				e.stale = true
			}
		}
	}
}

// Invalidate makes the mirror stop answering for an application until Graph is read again: a write
// whose effect the mirror cannot know (failed, or of a kind it does not model) happened.
func (s *Store) Invalidate(uniqueName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(uniqueName)
	s.noteWrite(k)
	if e := s.apps[k]; e != nil {
		e.stale = true
	}
}

// Forget removes an application the operator deleted.
func (s *Store) Forget(uniqueName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(uniqueName)
	s.noteWrite(k)
	s.removeLocked(k)
}

// PutServicePrincipal records the service principal of a managed application.
func (s *Store) PutServicePrincipal(sp graph.ServicePrincipal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byAppID[key(sp.AppID)]
	if !ok {
		return
	}
	s.noteWrite(k)
	s.sps[key(sp.AppID)] = sp.ObjectID
	s.spByID[key(sp.ObjectID)] = sp.AppID
}

// markSynced records a completed poll; the first one primes the mirror.
func (s *Store) markSynced() (firstTime bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	firstTime = !s.primed
	s.primed, s.broken, s.syncedAt = true, false, s.clock()
	// The poller fetches the next page only after this, with a mark at least s.writes: the writes
	// recorded so far can no longer make a page untrustworthy.
	clear(s.lastWrite)
	return firstTime
}

// markBroken records that Graph dropped the delta state: what changed since the last poll is
// unknown, so the mirror answers nothing until a full round has completed.
func (s *Store) markBroken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
}

// writtenSince reports whether the application was written or read directly after mark; callers
// hold mu.
func (s *Store) writtenSince(k string, mark uint64) bool { return s.lastWrite[k] > mark }
