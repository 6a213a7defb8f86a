package permissions

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Defaults of the Cache.
const (
	// DefaultCacheTTL is how long a resource's permissions are trusted. Microsoft adds permissions to
	// Graph a few times a month and never renumbers them, so an hour costs nothing in accuracy.
	DefaultCacheTTL = time.Hour
	// DefaultCacheEntries bounds the cache: one entry per resource and tenant.
	DefaultCacheEntries = 256
	// MinRefreshAge is how old an entry must be before a name it lacks makes the cache ask again:
	// a permission published since the entry was read is then found, while a typo repeated by many
	// reconciles costs one read a minute at most.
	MinRefreshAge = time.Minute
)

// Fetch reads a resource's service principal from Graph.
type Fetch func(ctx context.Context, appID string) (graph.Resource, error)

// Cache remembers the permissions resources publish, per tenant and resource application ID, so a
// reconcile of an object in sync reads no resource from Graph. It is bounded (the least recently
// used entry goes first) and entries expire; a resource Graph does not have is not remembered, so
// one added to the tenant is found at once. Concurrent misses for one resource share one read.
type Cache struct {
	ttl        time.Duration
	maxEntries int
	now        func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	flight  singleflight.Group
}

type cacheKey struct{ tenantID, appID string }

type cacheEntry struct {
	resource graph.Resource
	fetched  time.Time
	used     time.Time
}

// NewCache returns a cache keeping at most maxEntries resources for ttl; zero values take the
// defaults, and a nil now the real clock.
func NewCache(ttl time.Duration, maxEntries int, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, maxEntries: maxEntries, now: now, entries: map[cacheKey]*cacheEntry{}}
}

// Get returns the resource appID of tenantID, read with fetch unless a fresh copy is cached, and
// when that copy was read.
func (c *Cache) Get(ctx context.Context, tenantID, appID string, fetch Fetch) (graph.Resource, time.Time, error) {
	key := cacheKey{tenantID: tenantID, appID: appID}
	now := c.now()
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && now.Sub(e.fetched) < c.ttl {
		e.used = now
		r, fetched := e.resource, e.fetched
		c.mu.Unlock()
		return r, fetched, nil
	}
	c.mu.Unlock()
	return c.fetch(ctx, key, fetch)
}

// Refresh reads the resource again when the cached copy is older than MinRefreshAge, for a name the
// copy lacks; otherwise it returns the cached copy.
func (c *Cache) Refresh(ctx context.Context, tenantID, appID string, fetch Fetch) (graph.Resource, time.Time, error) {
	key := cacheKey{tenantID: tenantID, appID: appID}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && c.now().Sub(e.fetched) < MinRefreshAge {
		r, fetched := e.resource, e.fetched
		c.mu.Unlock()
		return r, fetched, nil
	}
	c.mu.Unlock()
	return c.fetch(ctx, key, fetch)
}

func (c *Cache) fetch(ctx context.Context, key cacheKey, fetch Fetch) (graph.Resource, time.Time, error) {
	type result struct {
		resource graph.Resource
		fetched  time.Time
	}
	v, err, _ := c.flight.Do(key.tenantID+"/"+key.appID, func() (any, error) {
		r, err := fetch(ctx, key.appID)
		if err != nil {
			return nil, err
		}
		now := c.now()
		c.store(key, &cacheEntry{resource: r, fetched: now, used: now})
		return result{r, now}, nil
	})
	if err != nil {
		return graph.Resource{}, time.Time{}, err
	}
	res := v.(result)
	return res.resource, res.fetched, nil
}

// store adds an entry, first evicting the least recently used one when the cache is full.
func (c *Cache) store(key cacheKey, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.maxEntries {
		var oldest cacheKey
		first := true
		for k, v := range c.entries {
			if first || v.used.Before(c.entries[oldest].used) {
				oldest, first = k, false
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[key] = e
}

// Len is how many resources the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
