package eventrecorder

import (
	"container/list"
	"time"
)

// seriesEntry is all the recorder remembers of an event it recorded: enough to turn a repeat
// into a patch of the Event's series, and nothing of the event itself.
type seriesEntry struct {
	key uint64
	// namespace and name are the Event's on the API server; empty until it is created.
	namespace, name string
	// count is how often the event was recorded, lastObserved when it last was.
	count        int32
	lastObserved time.Time
	// queued says a job for this entry waits in the queue, which will send the latest count:
	// a repeat while it waits only counts.
	queued bool
}

// seriesTable holds the entries of the events recorded within ttl, at most max of them, in the
// order they were last observed: the oldest first, so expiry and eviction both take from the front.
type seriesTable struct {
	max     int
	ttl     time.Duration
	entries map[uint64]*list.Element
	order   list.List
}

func newSeriesTable(maxEntries int, ttl time.Duration) *seriesTable {
	return &seriesTable{max: maxEntries, ttl: ttl, entries: make(map[uint64]*list.Element)}
}

// get returns the entry of key if its event was observed within ttl of now, else nil.
func (t *seriesTable) get(key uint64, now time.Time) *seriesEntry {
	el, ok := t.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*seriesEntry)
	if now.Sub(e.lastObserved) >= t.ttl {
		t.remove(el)
		return nil
	}
	return e
}

// add starts the series of key, observed once now, evicting the least recently observed entry
// when the table is full. A series evicted early only means its next repeat is a new Event.
func (t *seriesTable) add(key uint64, now time.Time) *seriesEntry {
	if el, ok := t.entries[key]; ok {
		t.remove(el)
	}
	for t.order.Len() >= t.max {
		t.remove(t.order.Front())
	}
	e := &seriesEntry{key: key, count: 1, lastObserved: now}
	t.entries[key] = t.order.PushBack(e)
	return e
}

// observe counts a repeat of e's event now.
func (t *seriesTable) observe(e *seriesEntry, now time.Time) {
	e.count++
	e.lastObserved = now
	if el, ok := t.entries[e.key]; ok && el.Value == e {
		t.order.MoveToBack(el)
	}
}

// expire drops the entries whose event was last observed ttl or more before now.
func (t *seriesTable) expire(now time.Time) {
	for el := t.order.Front(); el != nil && now.Sub(el.Value.(*seriesEntry).lastObserved) >= t.ttl; el = t.order.Front() {
		t.remove(el)
	}
}

// forget drops e, if it is still the entry of its key.
func (t *seriesTable) forget(e *seriesEntry) {
	if el, ok := t.entries[e.key]; ok && el.Value == e {
		t.remove(el)
	}
}

func (t *seriesTable) remove(el *list.Element) {
	delete(t.entries, el.Value.(*seriesEntry).key)
	t.order.Remove(el)
}

func (t *seriesTable) len() int { return t.order.Len() }
