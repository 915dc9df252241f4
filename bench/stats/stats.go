// Package stats summarises latencies for the load generator and the benchmarks.
package stats

import (
	"slices"
	"sync"
	"syscall"
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

// Report adds p50 and p99 in milliseconds to a benchmark's output, next to ns/op, and the
// process's processor time per operation (cpu is CPUTime's growth over the loop); b is the
// *testing.B.
func (l *Latencies) Report(b interface{ ReportMetric(float64, string) }, cpu time.Duration) {
	s := l.Summary()
	if s.N == 0 {
		return
	}
	b.ReportMetric(float64(s.P50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(s.P99)/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(s.N), "cpu-µs/op")
}

// CPUTime is the processor time this process has used so far, in user and system mode.
// Benchmarks report it per operation: on a shared machine it moves far less with the other
// processes' load than wall time does. It does not count a PostgreSQL server's own work.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
