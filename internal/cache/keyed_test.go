package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// keyedCounter is a load per key that returns how many times that key has been loaded.
type keyedCounter map[string]int

func (c keyedCounter) load(key string) func(context.Context) (int, bool, error) {
	return func(context.Context) (int, bool, error) {
		c[key]++
		return c[key], true, nil
	}
}

func getKey(t *testing.T, c *Keyed[string, int], key string, now time.Time, src keyedCounter) int {
	t.Helper()
	v, ok, err := c.Get(context.Background(), key, now, src.load(key))
	if err != nil || !ok {
		t.Fatalf("get %s: %v, %v", key, ok, err)
	}
	return v
}

// TestKeyedKeptForTTL: each key's load serves its Gets for TTL on the caller's clock, and
// not a microsecond longer; keys are kept apart.
func TestKeyedKeptForTTL(t *testing.T) {
	var c Keyed[string, int]
	src := keyedCounter{}
	getKey(t, &c, "a", t0, src)
	if v := getKey(t, &c, "b", t0.Add(time.Second), src); v != 1 {
		t.Fatalf("first get of b: %d", v)
	}
	if v := getKey(t, &c, "a", t0.Add(TTL-time.Microsecond), src); v != 1 {
		t.Fatalf("a within TTL: %d", v)
	}
	if v := getKey(t, &c, "a", t0.Add(TTL), src); v != 2 {
		t.Fatalf("a at TTL: got %d, want a new load", v)
	}
	if v := getKey(t, &c, "b", t0.Add(time.Second+TTL-time.Microsecond), src); v != 1 {
		t.Fatalf("b within its TTL, from the previous map: %d", v)
	}
	if v := getKey(t, &c, "a", t0.Add(TTL+time.Second), src); v != 2 {
		t.Fatalf("the new load is kept from when it was made: got %d", v)
	}
}

// TestKeyedClockBackReloads: a value loaded "in the future" of the caller's clock is not
// trusted, whether the clock went back a little or a lot.
func TestKeyedClockBackReloads(t *testing.T) {
	var c Keyed[string, int]
	src := keyedCounter{}
	getKey(t, &c, "a", t0, src)
	if v := getKey(t, &c, "a", t0.Add(-time.Second), src); v != 2 {
		t.Fatalf("got %d after the clock went back, want a new load", v)
	}
	if v := getKey(t, &c, "a", t0.Add(-time.Hour), src); v != 3 {
		t.Fatalf("got %d after the clock went back an hour, want a new load", v)
	}
	if v := getKey(t, &c, "a", t0.Add(-time.Hour), src); v != 3 {
		t.Fatalf("the load after the clock went back is not kept: got %d", v)
	}
}

// TestKeyedMissesNotKept: a key load did not find is asked for again on the next Get.
func TestKeyedMissesNotKept(t *testing.T) {
	var c Keyed[string, int]
	loads := 0
	missing := func(context.Context) (int, bool, error) {
		loads++
		return 7, false, nil
	}
	for range 2 {
		if v, ok, err := c.Get(context.Background(), "a", t0, missing); v != 0 || ok || err != nil {
			t.Fatalf("got %d, %v, %v; want nothing found", v, ok, err)
		}
	}
	if loads != 2 {
		t.Fatalf("%d loads for two Gets of a missing key", loads)
	}
}

// TestKeyedErrorsNotKept: a failed load returns its error, leaves nothing behind (not even
// the expired value), and the next Get loads again.
func TestKeyedErrorsNotKept(t *testing.T) {
	var c Keyed[string, int]
	src := keyedCounter{}
	getKey(t, &c, "a", t0, src)
	boom := errors.New("database gone")
	failing := func(context.Context) (int, bool, error) { return 5, true, boom }
	later := t0.Add(TTL)
	if v, ok, err := c.Get(context.Background(), "a", later, failing); !errors.Is(err, boom) || v != 0 || ok {
		t.Fatalf("got %d, %v, %v; want the load's error", v, ok, err)
	}
	if v := getKey(t, &c, "a", later, src); v != 2 {
		t.Fatalf("got %d after a failed load, want a new load", v)
	}
}

// TestKeyedForgetAndClear: Forget makes the next Get of that key load again at once, and
// only of that key; Clear of every key.
func TestKeyedForgetAndClear(t *testing.T) {
	var c Keyed[string, int]
	src := keyedCounter{}
	getKey(t, &c, "a", t0, src)
	getKey(t, &c, "b", t0, src)
	c.Forget("a")
	if v := getKey(t, &c, "a", t0, src); v != 2 {
		t.Fatalf("a after Forget: got %d, want a new load", v)
	}
	if v := getKey(t, &c, "b", t0, src); v != 1 {
		t.Fatalf("b after Forget(a): got %d, want it kept", v)
	}
	if v := getKey(t, &c, "a", t0, src); v != 2 {
		t.Fatalf("the load after Forget is not kept: got %d", v)
	}

	// Once in the previous map too.
	getKey(t, &c, "c", t0.Add(TTL), src)
	c.Forget("b")
	if v := getKey(t, &c, "b", t0.Add(TTL), src); v != 2 {
		t.Fatalf("b after Forget from the previous map: got %d, want a new load", v)
	}
	c.Clear()
	for key, want := range map[string]int{"a": 3, "b": 3, "c": 2} {
		if v := getKey(t, &c, key, t0.Add(TTL), src); v != want {
			t.Fatalf("%s after Clear: got %d, want %d", key, v, want)
		}
	}
}

// TestKeyedChangeDuringLoad: a load that started before a Forget or Clear, and so may have
// read the rows as they were, is given to its caller but not kept.
func TestKeyedChangeDuringLoad(t *testing.T) {
	for name, change := range map[string]func(*Keyed[string, int]){
		"Forget":           func(c *Keyed[string, int]) { c.Forget("a") },
		"Forget other key": func(c *Keyed[string, int]) { c.Forget("b") },
		"Clear":            func(c *Keyed[string, int]) { c.Clear() },
	} {
		t.Run(name, func(t *testing.T) {
			var c Keyed[string, int]
			started, release := make(chan struct{}), make(chan struct{})
			stale := make(chan int)
			go func() {
				v, _, _ := c.Get(context.Background(), "a", t0, func(context.Context) (int, bool, error) {
					close(started)
					<-release
					return 1, true, nil // what the rows were before the change
				})
				stale <- v
			}()
			<-started
			change(&c) // the change commits while the load runs
			close(release)
			if v := <-stale; v != 1 {
				t.Fatalf("the caller of the overtaken load got %d", v)
			}
			fresh := func(context.Context) (int, bool, error) { return 2, true, nil }
			if v, _, _ := c.Get(context.Background(), "a", t0, fresh); v != 2 {
				t.Fatalf("got %d: the load overtaken by %s was kept", v, name)
			}
		})
	}
}

// TestKeyedBounded: what was loaded two TTLs ago is gone from memory at the next Get,
// however many keys were loaded, while what was loaded in the last TTL is still served.
func TestKeyedBounded(t *testing.T) {
	var c Keyed[string, int]
	src := keyedCounter{}
	held := func() int { return len(c.cur) + len(c.prev) }
	for _, key := range []string{"a", "b", "c"} {
		getKey(t, &c, key, t0, src)
	}
	getKey(t, &c, "d", t0.Add(TTL/2), src)
	getKey(t, &c, "e", t0.Add(TTL), src) // a, b, c and d become the previous map
	if n := held(); n != 5 {
		t.Fatalf("%d entries held after one TTL, want 5", n)
	}
	if v := getKey(t, &c, "d", t0.Add(TTL+TTL/4), src); v != 1 {
		t.Fatalf("d, loaded less than TTL ago, from the previous map: got %d", v)
	}
	getKey(t, &c, "f", t0.Add(2*TTL), src)
	if _, ok := c.prev["a"]; ok || held() != 2 {
		t.Fatalf("after two TTLs: %d entries held (current %v, previous %v), want e and f", held(), c.cur, c.prev)
	}
	getKey(t, &c, "g", t0.Add(10*TTL), src) // after a quiet spell everything else is past TTL
	if held() != 1 {
		t.Fatalf("after a quiet spell: %d entries held, want 1", held())
	}
	getKey(t, &c, "h", t0.Add(-time.Hour), src) // and after the clock went back an hour
	if held() != 1 {
		t.Fatalf("after the clock went back: %d entries held, want 1", held())
	}
}

// TestKeyedConcurrentUse is for the race detector: Gets, Forgets and Clears from many
// goroutines, across rotations.
func TestKeyedConcurrentUse(t *testing.T) {
	var c Keyed[int, map[string]int]
	load := func(context.Context) (map[string]int, bool, error) { return map[string]int{"a": 1}, true, nil }
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				switch (i + j) % 11 {
				case 0:
					c.Clear()
					continue
				case 1, 2:
					c.Forget(j % 5)
					continue
				}
				m, ok, err := c.Get(context.Background(), j%5, t0.Add(time.Duration(j)*10*time.Millisecond), load)
				if err != nil || !ok || m["a"] != 1 {
					t.Errorf("%v %v %v", m, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
