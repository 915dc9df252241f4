package auth

import (
	"sync"
	"testing"
	"time"

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

func TestPasswordMemoryIsReleasedAfterAQuietSpell(t *testing.T) {
	w := newPasswordWork(4)
	w.releaseAfter = time.Hour // the test calls releaseIfQuiet itself, as the timer would
	if _, err := w.create("correct horse", cheapParams); err != nil {
		t.Fatal(err)
	}
	if !w.pending {
		t.Fatal("no release scheduled after the last hash ended")
	}
	if !w.releaseIfQuiet(1) || w.releases != 1 || w.pending {
		t.Fatalf("a quiet spell after hash 1: releases %d, pending %v; want 1, false", w.releases, w.pending)
	}

	// Hashes that begin before the spell is over put the release off to the next spell.
	w.begin()
	w.end() // schedules for hash 2
	w.begin()
	w.end() // hash 3: one is already scheduled
	if w.releaseIfQuiet(2) || w.releases != 1 || !w.pending {
		t.Fatalf("hash 3 came after the spell began: released %d times, pending %v; want 1, true", w.releases, w.pending)
	}
	if !w.releaseIfQuiet(3) || w.releases != 2 {
		t.Fatalf("a quiet spell after hash 3: releases %d, want 2", w.releases)
	}

	// A hash still running when the spell ends schedules the release again when it ends.
	w.begin()
	w.end()
	w.begin()
	if w.releaseIfQuiet(4) || w.pending {
		t.Fatalf("released with hash 5 running, or kept a schedule: pending %v", w.pending)
	}
	w.end()
	if !w.pending || !w.releaseIfQuiet(5) || w.releases != 3 {
		t.Fatalf("after hash 5 ended: pending %v, releases %d; want true, 3", w.pending, w.releases)
	}
}
