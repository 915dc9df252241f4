package auth

import (
	"runtime/debug"
	"sync"

	"github.com/alexedwards/argon2id"
)

// passwordWork runs the argon2id hashes of sign-ins, password checks and password changes.
//
// Each hash allocates its whole memory cost at once (64 MB with the default parameters).
// Two limits follow from that:
//   - At most GOMAXPROCS hashes run at a time. A hash is pure processor work, so more at
//     once only adds memory: a burst of sign-ins from many addresses would otherwise hold
//     64 MB each.
//   - When the last running hash ends, the memory goes back to the operating system at
//     once. On an idle server nothing else allocates, so the runtime would keep the dead
//     block until its two-minute forced collection. Measured: a standalone server that had
//     just made its first admin stayed at 96–97 MB resident for over a minute, against a
//     60 MB target for an idle server.
type passwordWork struct {
	slots chan struct{}

	mu       sync.Mutex
	running  int
	peak     int   // the most hashes that ran at once (for tests)
	releases int64 // how many times the memory was given back (for tests)
}

// newPasswordWork runs at most slots hashes at a time.
func newPasswordWork(slots int) *passwordWork {
	return &passwordWork{slots: make(chan struct{}, slots)}
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
	w.peak = max(w.peak, w.running)
	w.mu.Unlock()
}

func (w *passwordWork) end() {
	w.mu.Lock()
	w.running--
	last := w.running == 0
	if last {
		w.releases++
	}
	w.mu.Unlock()
	<-w.slots
	if last {
		// On its own goroutine: the collection it forces is not the caller's to wait for.
		go debug.FreeOSMemory()
	}
}
