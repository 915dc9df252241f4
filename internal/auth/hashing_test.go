package auth

import (
	"sync"
	"testing"

	"github.com/alexedwards/argon2id"
)

var cheapParams = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestPasswordHashesRunAtMostSlotsAtOnce(t *testing.T) {
	w := newPasswordWork(2)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			h, err := w.create("correct horse", cheapParams)
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := w.compare("correct horse", h); err != nil || !ok {
				t.Errorf("compare = %v, %v; want true", ok, err)
			}
		})
	}
	wg.Wait()
	if w.peak < 1 || w.peak > 2 {
		t.Fatalf("peak hashes at once = %d, want 1 or 2", w.peak)
	}

	// With both slots taken, a third hash waits for one to free.
	w.begin()
	w.begin()
	started := make(chan struct{})
	go func() {
		w.begin()
		close(started)
		w.end()
	}()
	select {
	case <-started:
		t.Fatal("a third hash started while two ran")
	default:
	}
	w.end()
	<-started
	w.end()
}

func TestPasswordMemoryIsReleasedWhenTheLastHashEnds(t *testing.T) {
	w := newPasswordWork(4)
	if _, err := w.create("correct horse", cheapParams); err != nil {
		t.Fatal(err)
	}
	if w.releases != 1 {
		t.Fatalf("releases after one hash = %d, want 1", w.releases)
	}
	w.begin()
	w.begin()
	w.end()
	if w.releases != 1 {
		t.Fatalf("releases with a hash still running = %d, want 1", w.releases)
	}
	w.end()
	if w.releases != 2 {
		t.Fatalf("releases after the last hash = %d, want 2", w.releases)
	}
}
