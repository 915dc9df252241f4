package auth

import (
	"runtime/debug"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
)

// passwordWork runs the argon2id hashes of sign-ins, password checks and password changes.
//
// Each hash allocates its whole memory cost at once (64 MB with the default parameters).
// Two limits follow from that:
//   - At most GOMAXPROCS hashes run at a time. A hash is pure processor work, so more at
//     once only adds memory: a burst of sign-ins from many addresses would otherwise hold
//     64 MB each.
//   - Once no hash has run for releaseAfter, the memory goes back to the operating system.
//     On an idle server nothing else allocates, so the runtime would keep the dead block
//     until its two-minute forced collection. Measured: a standalone server that had just
//     made its first admin stayed at 96–97 MB resident for over a minute, against a 60 MB
//     target for an idle server. Handing it back after every hash instead made back-to-back
//     hashes 4× slower: each then faulted its 64 MB in afresh.
type passwordWork struct {
	slots        chan struct{}
	releaseAfter time.Duration

	mu       sync.Mutex
	running  int
	begun    uint64 // hashes begun so far; a release waits for a quiet spell
	pending  bool   // a release is scheduled
	peak     int    // the most hashes that ran at once (for tests)
	releases int    // how many times the memory was handed back (for tests)
}

// newPasswordWork runs at most slots hashes at a time.
func newPasswordWork(slots int) *passwordWork {
	return &passwordWork{slots: make(chan struct{}, slots), releaseAfter: time.Second}
}

// create hashes password with params.
func (w *passwordWork) create(password string, params *argon2id.Params) (string, error) {
	w.begin()
	defer w.end()
	return argon2id.CreateHash(password, params)
}

// compare reports whether password matches hash.
func (w *passwordWork) compare(password, hash string) (bool, error) {
	w.begin()
	defer w.end()
	return argon2id.ComparePasswordAndHash(password, hash)
}

func (w *passwordWork) begin() {
	w.slots <- struct{}{}
	w.mu.Lock()
	w.running++
	w.begun++
	w.peak = max(w.peak, w.running)
	w.mu.Unlock()
}

func (w *passwordWork) end() {
	w.mu.Lock()
	w.running--
	schedule := w.running == 0 && !w.pending
	if schedule {
		w.pending = true
	}
	begun := w.begun
	w.mu.Unlock()
	<-w.slots
	if schedule {
		time.AfterFunc(w.releaseAfter, func() { w.releaseIfQuiet(begun) })
	}
}

// releaseIfQuiet hands the hashes' memory back when none has begun since the count begun;
// otherwise it waits for the next quiet spell.
func (w *passwordWork) releaseIfQuiet(begun uint64) bool {
	w.mu.Lock()
	quiet := w.running == 0 && w.begun == begun
	switch {
	case quiet:
		w.pending = false
		w.releases++
	case w.running == 0:
		begun = w.begun
		time.AfterFunc(w.releaseAfter, func() { w.releaseIfQuiet(begun) })
	default:
		w.pending = false // the running hash's end schedules the next
	}
	w.mu.Unlock()
	if quiet {
		debug.FreeOSMemory()
	}
	return quiet
}
