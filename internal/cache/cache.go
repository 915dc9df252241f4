// Package cache keeps rows in memory for a short while: rows that rarely change (active
// webhooks, SLA policies, workflow triggers), so that a ticket change does not query for them
// inside its transaction, and signed-in sessions (Keyed), so that a request does not query
// for its own.
package cache

import (
	"context"
	"sync"
	"time"
)

// TTL is how long a load is kept: how long a change made by another server process sharing
// the database may take to show in this one. Changes made through this process show at once
// (Invalidate).
const TTL = 2 * time.Second

// Loaded is a value loaded on demand and kept for TTL on the caller's clock. Its zero value is
// empty and ready to use.
type Loaded[T any] struct {
	mu       sync.Mutex
	value    T
	loaded   bool
	loadedAt time.Time
	gen      uint64 // bumped by Invalidate; a load that started before one is not kept
}

// Get returns the kept value when it was loaded less than TTL before now, and otherwise calls
// load and keeps what it returns. A failed load is not kept: the next Get loads again. A load
// that an Invalidate overtook is returned to its caller, who asked before the change, but not
// kept. Concurrent Gets of an empty cache may each load.
func (c *Loaded[T]) Get(ctx context.Context, now time.Time, load func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	// A clock that went back (a test's, or the wall clock corrected) reloads too.
	if c.loaded && now.Sub(c.loadedAt) < TTL && !now.Before(c.loadedAt) {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	gen := c.gen
	c.mu.Unlock()

	v, err := load(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.value, c.loaded, c.loadedAt = v, true, now
	}
	c.mu.Unlock()
	return v, nil
}

// Invalidate drops the kept value, and any load under way, so that the next Get loads again.
// Call it after every change to what the value is loaded from.
func (c *Loaded[T]) Invalidate() {
	c.mu.Lock()
	var zero T
	c.value, c.loaded = zero, false
	c.gen++
	c.mu.Unlock()
}
