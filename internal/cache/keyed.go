package cache

import (
	"context"
	"sync"
	"time"
)

// Keyed is a set of values loaded on demand by key, each kept for TTL on the caller's clock.
// Its zero value is empty and ready to use.
//
// It needs no goroutine of its own to stay small: a value goes into the current map, which
// a Get turns into the previous one once it is TTL old and drops TTL later, so the maps hold
// only what was loaded in the last two TTLs.
type Keyed[K comparable, V any] struct {
	mu    sync.Mutex
	cur   map[K]keyedEntry[V] // loaded since start
	prev  map[K]keyedEntry[V] // loaded in the TTL before start
	start time.Time
	gen   uint64 // bumped by Forget and Clear; a load that started before one is not kept
}

type keyedEntry[V any] struct {
	value    V
	loadedAt time.Time
}

// Get returns the value kept for key when it was loaded less than TTL before now, and
// otherwise calls load and keeps what it returns. load reports whether it found anything;
// what it did not find is not kept, nor is a failed load: the next Get loads again. A load
// that a Forget or Clear overtook (of any key) is returned to its caller, who asked before
// the change, but not kept. Concurrent Gets of a key not kept may each load.
func (c *Keyed[K, V]) Get(ctx context.Context, key K, now time.Time, load func(context.Context) (V, bool, error)) (V, bool, error) {
	c.mu.Lock()
	c.rotate(now)
	e, ok := c.cur[key]
	if !ok {
		e, ok = c.prev[key]
	}
	// A clock that went back (a test's, or the wall clock corrected) reloads too.
	if ok && now.Sub(e.loadedAt) < TTL && !now.Before(e.loadedAt) {
		c.mu.Unlock()
		return e.value, true, nil
	}
	gen := c.gen
	c.mu.Unlock()

	v, found, err := load(ctx)
	if err != nil || !found {
		var zero V
		return zero, false, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.cur[key] = keyedEntry[V]{value: v, loadedAt: now}
	}
	c.mu.Unlock()
	return v, true, nil
}

// rotate starts a new current map once the current one is TTL old. start moves by whole
// TTLs, so everything in the previous map was loaded less than two TTLs before now.
func (c *Keyed[K, V]) rotate(now time.Time) {
	switch since := now.Sub(c.start); {
	// Nothing loaded yet; or nothing kept is younger than TTL; or the clock went back further
	// than concurrent Gets, each holding a now read a moment before the other's, can explain.
	case c.cur == nil || since >= 2*TTL || since < -TTL:
		c.cur, c.prev, c.start = map[K]keyedEntry[V]{}, nil, now
	case since >= TTL:
		c.cur, c.prev, c.start = map[K]keyedEntry[V]{}, c.cur, c.start.Add(TTL)
	}
}

// Forget drops the value kept for key, and any load under way, so that the next Get of key
// loads again. Call it after every change to what key's value is loaded from.
func (c *Keyed[K, V]) Forget(key K) {
	c.mu.Lock()
	delete(c.cur, key)
	delete(c.prev, key)
	c.gen++
	c.mu.Unlock()
}

// Clear drops every kept value, and any load under way: for a change that may touch the
// values of many keys.
func (c *Keyed[K, V]) Clear() {
	c.mu.Lock()
	clear(c.cur)
	c.prev = nil
	c.gen++
	c.mu.Unlock()
}
