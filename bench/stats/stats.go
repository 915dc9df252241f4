// Package stats summarises latencies for the load generator and the benchmarks.
package stats

import (
	"slices"
	"sync"
	"time"
)

// Latencies collects durations; it is safe for concurrent use.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Time runs fn and records how long it took.
func (l *Latencies) Time(fn func()) {
	start := time.Now()
	fn()
	l.Add(time.Since(start))
}

// Summary is a distribution of latencies.
type Summary struct {
	N                        int
	Mean, P50, P90, P99, Max time.Duration
}

// Summary sorts what was recorded and returns its percentiles.
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return Summary{N: len(d), Mean: sum / time.Duration(len(d)), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}

// Report adds p50 and p99 in milliseconds to a benchmark's output, next to ns/op; b is the
// *testing.B.
func (l *Latencies) Report(b interface{ ReportMetric(float64, string) }) {
	s := l.Summary()
	if s.N == 0 {
		return
	}
	b.ReportMetric(float64(s.P50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(s.P99)/float64(time.Millisecond), "p99-ms")
}
