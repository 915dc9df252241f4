package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// counter is a load that returns how many times it has been called.
type counter struct{ n int }

func (c *counter) load(context.Context) (int, error) {
	c.n++
	return c.n, nil
}

func get(t *testing.T, c *Loaded[int], now time.Time, load func(context.Context) (int, error)) int {
	t.Helper()
	v, err := c.Get(context.Background(), now, load)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKeptForTTL: a load serves every Get for TTL on the caller's clock, and not a
// microsecond longer.
func TestKeptForTTL(t *testing.T) {
	var c Loaded[int]
	var src counter
	if v := get(t, &c, t0, src.load); v != 1 {
		t.Fatalf("first get: %d", v)
	}
	if v := get(t, &c, t0.Add(TTL-time.Microsecond), src.load); v != 1 || src.n != 1 {
		t.Fatalf("within TTL: got %d after %d loads", v, src.n)
	}
	if v := get(t, &c, t0.Add(TTL), src.load); v != 2 {
		t.Fatalf("at TTL: got %d, want a new load", v)
	}
	if v := get(t, &c, t0.Add(TTL+time.Second), src.load); v != 2 {
		t.Fatalf("the new load is kept from when it was made: got %d", v)
	}
}

// TestClockBackReloads: a value loaded "in the future" of the caller's clock is not trusted.
func TestClockBackReloads(t *testing.T) {
	var c Loaded[int]
	var src counter
	get(t, &c, t0, src.load)
	if v := get(t, &c, t0.Add(-time.Second), src.load); v != 2 {
		t.Fatalf("got %d after the clock went back, want a new load", v)
	}
}

// TestInvalidate: the next Get loads again at once, with no clock advance.
func TestInvalidate(t *testing.T) {
	var c Loaded[int]
	var src counter
	get(t, &c, t0, src.load)
	c.Invalidate()
	if v := get(t, &c, t0, src.load); v != 2 {
		t.Fatalf("got %d after Invalidate, want a new load", v)
	}
	if v := get(t, &c, t0, src.load); v != 2 {
		t.Fatalf("the load after Invalidate is not kept: got %d", v)
	}
}

// TestInvalidateDuringLoad: a load that started before a change, and so may have read the
// rows as they were, is given to its caller but not kept.
func TestInvalidateDuringLoad(t *testing.T) {
	var c Loaded[int]
	started, release := make(chan struct{}), make(chan struct{})
	stale := make(chan int)
	go func() {
		v, _ := c.Get(context.Background(), t0, func(context.Context) (int, error) {
			close(started)
			<-release
			return 1, nil // what the rows were before the change
		})
		stale <- v
	}()
	<-started
	c.Invalidate() // the change commits while the load runs
	close(release)
	if v := <-stale; v != 1 {
		t.Fatalf("the caller of the overtaken load got %d", v)
	}
	fresh := func(context.Context) (int, error) { return 2, nil }
	if v := get(t, &c, t0, fresh); v != 2 {
		t.Fatalf("got %d: the load overtaken by Invalidate was kept", v)
	}
}

// TestErrorsNotKept: a failed load returns its error, leaves nothing behind (not even the
// expired value), and the next Get loads again.
func TestErrorsNotKept(t *testing.T) {
	var c Loaded[int]
	var src counter
	get(t, &c, t0, src.load)
	boom := errors.New("database gone")
	failing := func(context.Context) (int, error) { return 0, boom }
	later := t0.Add(TTL)
	if v, err := c.Get(context.Background(), later, failing); !errors.Is(err, boom) || v != 0 {
		t.Fatalf("got %d, %v; want the load's error", v, err)
	}
	if v := get(t, &c, later, src.load); v != 2 {
		t.Fatalf("got %d after a failed load, want a new load", v)
	}
	c.Invalidate()
	if _, err := c.Get(context.Background(), later, failing); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if v := get(t, &c, later, src.load); v != 3 {
		t.Fatalf("got %d after a failed load on an empty cache, want a new load", v)
	}
}

// TestConcurrentUse is for the race detector: Gets and Invalidates from many goroutines.
func TestConcurrentUse(t *testing.T) {
	var c Loaded[map[string]int]
	load := func(context.Context) (map[string]int, error) { return map[string]int{"a": 1}, nil }
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				if (i+j)%7 == 0 {
					c.Invalidate()
					continue
				}
				m, err := c.Get(context.Background(), t0.Add(time.Duration(j)*time.Millisecond), load)
				if err != nil || m["a"] != 1 {
					t.Errorf("%v %v", m, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
