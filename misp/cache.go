package misp

import (
	"sync"
	"time"
)

// cache keeps look-up answers for a time to live, so that an indicator
// every alert repeats, or a job that runs again, asks MISP once per TTL.
// It holds at most max entries; when full, expired ones go first, then
// everything (a look-up costs one request, a leak costs the process).
type cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	hits []Hit
	at   time.Time
}

func newCache(ttl time.Duration, max int) *cache {
	return &cache{ttl: ttl, max: max, now: time.Now, entries: map[string]cached{}}
}

func (c *cache) get(key string) ([]Hit, bool) {
	if c == nil || c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.now().Sub(e.at) >= c.ttl {
		return nil, false
	}
	return e.hits, true
}

func (c *cache) put(key string, hits []Hit) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if now.Sub(e.at) >= c.ttl {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[key] = cached{hits: hits, at: now}
}
