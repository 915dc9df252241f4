package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits are requests per minute for each limit class; zero or less turns a class off.
type RateLimits struct {
	// PerMinute is the general limit of every route, per signed-in user, or per client
	// address for anyone not signed in.
	PerMinute int
	// Login limits sign-in attempts per client address and, separately, per email address.
	Login int
	// TwoFactor limits two-factor code checks (sign-in verification, enrolment, turning it
	// off) per user.
	TwoFactor int
	// GuestCreate limits guest tickets opened per client address.
	GuestCreate int
	// GuestLookup limits requests that look a guest token up (the guest's page, replies,
	// downloads) per client address, found or not, so tokens cannot be guessed at speed.
	GuestLookup int
}

// limitClass is the rate limit a route counts against; routes.go declares it on the guard.
type limitClass uint8

const (
	limitGeneral limitClass = iota
	limitLogin
	limitTwoFactor
	limitGuestCreate
	limitGuestLookup
	limitClasses // the number of classes
)

// limit returns the guard with its route counted against class c instead of the general one.
func (g Guard) limit(c limitClass) Guard {
	g.Limit = c
	return g
}

func (l RateLimits) perMinute(c limitClass) int {
	switch c {
	case limitLogin:
		return l.Login
	case limitTwoFactor:
		return l.TwoFactor
	case limitGuestCreate:
		return l.GuestCreate
	case limitGuestLookup:
		return l.GuestLookup
	}
	return l.PerMinute
}

// limiterMaxKeys bounds the keys one class remembers per generation (see rotate).
const limiterMaxKeys = 50_000

// limiter holds one token bucket per key (a client address, a user, an email) for one limit
// class. A bucket holds perMinute tokens and refills completely in a minute. Time comes from
// the caller, so tests move a fake clock instead of sleeping.
type limiter struct {
	perMinute int
	maxKeys   int

	mu      sync.Mutex
	cur     map[string]*rate.Limiter
	old     map[string]*rate.Limiter
	rotated time.Time
}

func newLimiter(perMinute int, now time.Time) *limiter {
	return &limiter{
		perMinute: perMinute, maxKeys: limiterMaxKeys,
		cur: map[string]*rate.Limiter{}, old: map[string]*rate.Limiter{}, rotated: now,
	}
}

// take spends one token of key's bucket at now. It reports the tokens left and, when there
// was none to spend, how long until there is one.
func (l *limiter) take(key string, now time.Time) (remaining int, wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotate(now)
	b := l.cur[key]
	if b == nil {
		if b = l.old[key]; b != nil {
			delete(l.old, key)
		} else {
			b = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		}
		l.cur[key] = b
	}
	if b.AllowN(now, 1) {
		return int(b.TokensAt(now)), 0, true
	}
	missing := 1 - b.TokensAt(now)
	return 0, time.Duration(missing / float64(b.Limit()) * float64(time.Second)), false
}

// rotate keeps memory bounded. Buckets live in two generations: every minute the current one
// becomes the old one and the old one is dropped, and a key used again moves back to the
// current one. A dropped bucket went untouched for at least a minute, so it had refilled and
// forgetting it changes nothing. When a flood of distinct keys fills the current generation
// early, it rotates early too: some buckets are then forgotten before they refill, which
// loosens the limit for those keys rather than letting memory grow without bound.
func (l *limiter) rotate(now time.Time) {
	if now.Sub(l.rotated) >= time.Minute || len(l.cur) >= l.maxKeys {
		l.old, l.cur, l.rotated = l.cur, make(map[string]*rate.Limiter, len(l.cur)), now
	}
}

// tooManyRequests is the error of a request over its limit; writeError renders it as a 429.
type tooManyRequests struct{ retryAfter time.Duration }

func (e *tooManyRequests) Error() string { return "rate limit exceeded" }

func (e *tooManyRequests) seconds() int {
	return max(1, int(math.Ceil(e.retryAfter.Seconds())))
}

func (e *tooManyRequests) message() string {
	return fmt.Sprintf("Too many requests. Try again in %d seconds.", e.seconds())
}

// rateLimit spends one request of class c for key and sets the X-RateLimit headers. When a
// request counts against several buckets (sign-in: the address and the email), the headers
// show the one with the fewest requests left.
func (s *Server) rateLimit(w http.ResponseWriter, c limitClass, key string) error {
	l := s.limiters[c]
	if l == nil {
		return nil
	}
	remaining, wait, ok := l.take(key, s.Clock.Now())
	h := w.Header()
	if prev, err := strconv.Atoi(h.Get("X-RateLimit-Remaining")); err != nil || remaining < prev {
		h.Set("X-RateLimit-Limit", strconv.Itoa(l.perMinute))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	}
	if !ok {
		return &tooManyRequests{retryAfter: wait}
	}
	return nil
}

// limitKey is whose bucket a request of class c spends: the signed-in user's (or the user
// halfway through signing in), else the client address's. Sign-in attempts and the guest
// routes always count against the address; the sign-in handler adds the email's bucket
// itself.
func limitKey(c limitClass, ip string, who identity) string {
	user := who.pending
	if who.actor != nil {
		user = who.actor.UserID
	}
	if c == limitLogin || c == limitGuestCreate || c == limitGuestLookup || user == 0 {
		return "ip:" + ip
	}
	return "user:" + strconv.FormatInt(user, 10)
}
