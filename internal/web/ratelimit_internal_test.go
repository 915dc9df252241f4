package web

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestLimiterRefillsWithTheClock(t *testing.T) {
	l := newLimiter(10, t0)
	for i := 9; i >= 0; i-- {
		remaining, _, ok := l.take("ip:1.2.3.4", t0)
		if !ok || remaining != i {
			t.Fatalf("request %d: ok %v, remaining %d; want true, %d", 10-i, ok, remaining, i)
		}
	}
	_, wait, ok := l.take("ip:1.2.3.4", t0)
	if ok || wait != 6*time.Second {
		t.Fatalf("11th request: ok %v, wait %v; want refused, 6s (a minute / 10)", ok, wait)
	}
	// Other keys have their own bucket.
	if _, _, ok := l.take("ip:5.6.7.8", t0); !ok {
		t.Fatal("another key was refused")
	}
	// A refused request spends nothing: the token arrives on time.
	if _, wait, ok := l.take("ip:1.2.3.4", t0.Add(4*time.Second)); ok || wait != 2*time.Second {
		t.Fatalf("after 4s: ok %v, wait %v; want refused, 2s", ok, wait)
	}
	if _, _, ok := l.take("ip:1.2.3.4", t0.Add(6*time.Second)); !ok {
		t.Fatal("refused after the refill time")
	}
	// A full minute refills the whole bucket, and no more.
	if remaining, _, ok := l.take("ip:1.2.3.4", t0.Add(5*time.Minute)); !ok || remaining != 9 {
		t.Fatalf("after 5 minutes: ok %v, remaining %d; want true, 9", ok, remaining)
	}
}

func TestLimiterForgetsIdleKeysOnly(t *testing.T) {
	l := newLimiter(3, t0)
	held := func() int { return len(l.cur) + len(l.old) }
	l.take("idle", t0)
	for range 3 {
		l.take("busy", t0.Add(59*time.Second))
	}
	// The generations rotate at one minute; the busy key keeps its empty bucket across it.
	if _, _, ok := l.take("busy", t0.Add(61*time.Second)); ok || held() != 2 {
		t.Fatalf("just after a rotation: busy allowed %v, %d keys held; want refused, 2", ok, held())
	}
	// A minute later the idle key, untouched for two generations and so long full again, is
	// forgotten; the busy one is still held.
	if _, _, ok := l.take("busy", t0.Add(122*time.Second)); !ok || held() != 1 {
		t.Fatalf("after a second rotation: busy allowed %v, %d keys held; want allowed, 1", ok, held())
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(5, t0)
	l.maxKeys = 100
	for i := range 10_000 {
		l.take(fmt.Sprintf("ip:%d", i), t0)
		if n := len(l.cur) + len(l.old); n > 2*l.maxKeys {
			t.Fatalf("holding %d keys after %d distinct ones, bound is %d", n, i+1, 2*l.maxKeys)
		}
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"1.1.1.1"}, "203.0.113.5"},
		{"no header", "10.0.0.1:4000", nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"client-written entries on the left are ignored", "10.0.0.1:4000", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:4000", []string{"6.6.6.6, 198.51.100.7, 10.9.9.9, 10.8.8.8"}, "198.51.100.7"},
		{"several header lines read in order", "10.0.0.1:4000", []string{"6.6.6.6", "198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"all trusted: the left-most", "10.0.0.1:4000", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage stops at the last trusted hop", "10.0.0.1:4000", []string{"198.51.100.7, <script>, 10.2.2.2"}, "10.2.2.2"},
		{"empty entry", "10.0.0.1:4000", []string{"198.51.100.7,,"}, "10.0.0.1"},
		{"entry with a port", "10.0.0.1:4000", []string{"198.51.100.7:5555"}, "198.51.100.7"},
		{"IPv6 proxy and client", "[2001:db8::1]:443", []string{"2001:db8:ffff::9, [2606:4700::1]:80"}, "2606:4700::1"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"unparseable peer is kept", "@", []string{"198.51.100.7"}, "@"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := clientAddr(r, trusted); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
