package jobs

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// wait bounds every wait for asynchronous work; the work itself takes milliseconds.
const wait = 20 * time.Second

type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test.note" }

// noteWorker reports the note of every job it works.
type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	worked chan string
}

func (w *noteWorker) Work(_ context.Context, job *river.Job[noteArgs]) error {
	w.worked <- job.Args.Note
	return nil
}

// openDB opens the database at url as one process of the desk would, with the desk's
// tables and a notes table standing in for a domain change.
func openDB(t *testing.T, url string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS notes (body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// newJobs builds Jobs polling every 10ms, with River's test mode (its maintenance services
// start at once rather than staggered over seconds), stopped when the test ends.
func newJobs(t *testing.T, d *db.DB, o Options) *Jobs {
	t.Helper()
	o.PollInterval = 10 * time.Millisecond
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	tune := o.Tune
	o.Tune = func(c *river.Config) {
		c.TestOnly = true
		if tune != nil {
			tune(c)
		}
	}
	j, err := New(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return j
}

func start(t *testing.T, j *Jobs) {
	t.Helper()
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func stop(t *testing.T, j *Jobs) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// writeNote writes a note and enqueues its job in one transaction, committing it unless
// rollback is set.
func writeNote(t *testing.T, d *db.DB, j *Jobs, note string, rollback bool) {
	t.Helper()
	errRollback := errors.New("roll back")
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw(`INSERT INTO notes (body) VALUES (?)`, note).Exec(ctx); err != nil {
			return err
		}
		if err := j.InsertTx(ctx, tx, noteArgs{Note: note}, nil); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if err != nil && !(rollback && errors.Is(err, errRollback)) {
		t.Fatal(err)
	}
}

func receive[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(wait):
		t.Fatalf("no %s within %s", what, wait)
		panic("unreachable")
	}
}

func jobCount(t *testing.T, j *Jobs, kind string) int {
	t.Helper()
	res, err := j.client.JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(100))
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Jobs)
}

func TestJobRunsAfterCommitAndNeverAfterRollback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := openDB(t, url)
		j := newJobs(t, d, Options{})
		w := &noteWorker{worked: make(chan string, 10)}
		AddWorker(j, w)
		start(t, j)

		writeNote(t, d, j, "dropped", true)
		writeNote(t, d, j, "kept", false)
		if got := receive(t, w.worked, "job"); got != "kept" {
			t.Fatalf("worked %q, want the committed job", got)
		}
		// The rolled-back job left no row behind, so no process can ever work it.
		if n := jobCount(t, j, "test.note"); n != 1 {
			t.Fatalf("%d jobs stored, want only the committed one", n)
		}
		var notes int
		if err := d.R.NewRaw(`SELECT count(*) FROM notes`).Scan(context.Background(), &notes); err != nil {
			t.Fatal(err)
		}
		if notes != 1 {
			t.Fatalf("%d notes, want the committed one", notes)
		}
	})
}

func TestJobInsertedWhileNoClientRunsRunsWhenOneStarts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		// A process that only inserts: an embedding host whose desk never runs.
		d := openDB(t, url)
		inserter := newJobs(t, d, Options{})
		AddWorker(inserter, &noteWorker{})
		writeNote(t, d, inserter, "waiting", false)

		// Later another process starts working.
		worker := newJobs(t, openDB(t, url), Options{})
		w := &noteWorker{worked: make(chan string, 1)}
		AddWorker(worker, w)
		start(t, worker)
		if got := receive(t, w.worked, "job"); got != "waiting" {
			t.Fatalf("worked %q", got)
		}
	})
}

type stuckArgs struct{}

func (stuckArgs) Kind() string { return "test.stuck" }

// stuckWorker hangs on its first attempt as if its process froze, ignoring cancellation,
// until released; later attempts finish at once.
type stuckWorker struct {
	river.WorkerDefaults[stuckArgs]
	started  chan struct{}
	release  chan struct{}
	finished chan int
}

func (w *stuckWorker) Work(_ context.Context, job *river.Job[stuckArgs]) error {
	if job.Attempt == 1 {
		close(w.started)
		<-w.release
		return nil
	}
	w.finished <- job.Attempt
	return nil
}

// ahead is a clock running an hour ahead of the wall clock.
type ahead struct{}

func (ahead) Now() time.Time { return time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond) }

func TestJobOfADeadProcessIsRescued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		w := &stuckWorker{started: make(chan struct{}), release: make(chan struct{}), finished: make(chan int, 1)}

		// Process 1 starts the job, then dies mid-run: its database connections go away
		// and nothing it does reaches the database again.
		d1 := openDB(t, url)
		p1, err := New(context.Background(), d1, Options{PollInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		AddWorker(p1, w)
		start(t, p1)
		t.Cleanup(func() {
			// Let its goroutines wind down; with its database gone they can only fail, after
			// River's completer has retried for some seconds, so nobody waits for them.
			close(w.release)
			go p1.Stop(context.Background())
		})
		if err := d1.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			return p1.InsertTx(ctx, tx, stuckArgs{}, nil)
		}); err != nil {
			t.Fatal(err)
		}
		receive(t, w.started, "first attempt")
		d1.Close()

		// Process 2 comes up later; the clock an hour on lets the dead leader's lease lapse
		// without waiting for it. A job running longer than RescueStuckJobsAfter is taken
		// as abandoned once it has also run past its timeout.
		p2 := newJobs(t, openDB(t, url), Options{Clock: ahead{}, Tune: func(c *river.Config) {
			c.RescueStuckJobsAfter = time.Millisecond
			c.JobTimeout = time.Millisecond
		}})
		AddWorker(p2, w)
		start(t, p2)
		if attempt := receive(t, w.finished, "rescued job"); attempt != 2 {
			t.Fatalf("finished on attempt %d, want the retry after the rescue", attempt)
		}
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test.tick" }

// logRecorder keeps the package's own log lines ("jobs: ...") with their attributes.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	if !strings.HasPrefix(rec.Message, "jobs:") {
		return nil
	}
	line := rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) count(line string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if l == line {
			n++
		}
	}
	return n
}

// waitUntil polls cond until it holds: waiting for work to happen, not for time to pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPeriodicJobRunsOncePerPeriodAcrossProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		// The hour starts now, on the desk's clock, which River shares.
		clk := clock.NewFake(time.Now().Truncate(time.Hour))
		ran := make(chan struct{}, 10)
		var runs atomic.Int32
		type process struct {
			*Jobs
			logs *logRecorder
		}
		startProcess := func() process {
			p := process{logs: &logRecorder{}}
			p.Jobs = newJobs(t, openDB(t, url), Options{Clock: clk, Logger: slog.New(p.logs)})
			AddWorker(p.Jobs, river.WorkFunc(func(context.Context, *river.Job[tickArgs]) error {
				runs.Add(1)
				ran <- struct{}{}
				return nil
			}))
			p.AddPeriodic(Periodic{Name: "test.tick", Every: time.Hour, Args: func() river.JobArgs { return tickArgs{} }})
			start(t, p.Jobs)
			return p
		}
		skipped := "jobs: an equal job exists; not inserted kind=test.tick"

		// Two processes start; only the one elected leader enqueues, at once.
		a, b := startProcess(), startProcess()
		receive(t, ran, "periodic run")

		// Both restart within the hour. The new leader enqueues again on start, and finds
		// this hour's job already there.
		stop(t, a.Jobs)
		stop(t, b.Jobs)
		c, d := startProcess(), startProcess()
		waitUntil(t, "the new leader's skipped duplicate", func() bool {
			return c.logs.count(skipped)+d.logs.count(skipped) == 1
		})
		if n := runs.Load(); n != 1 {
			t.Fatalf("%d runs in the first hour, want 1", n)
		}

		// In the next hour the job runs again, once.
		clk.Advance(time.Hour)
		stop(t, c.Jobs)
		stop(t, d.Jobs)
		e, _ := startProcess(), startProcess()
		receive(t, ran, "periodic run in the second hour")
		waitUntil(t, "both hours' jobs stored", func() bool { return jobCount(t, e.Jobs, "test.tick") == 2 })
		if n := runs.Load(); n != 2 {
			t.Fatalf("%d runs in two hours, want 2", n)
		}
	})
}

func TestRiverMigrationsAreSafeTwiceAndConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		procs := []*db.DB{openDB(t, url), openDB(t, url)}
		applied := make([]int, len(procs))
		errs := make([]error, len(procs))
		var wg sync.WaitGroup
		for i, d := range procs {
			wg.Go(func() { applied[i], errs[i] = migrate(ctx, d, log) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		m, err := rivermigrate.New(newDriver(procs[0]), &rivermigrate.Config{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		if all := len(m.AllVersions()); applied[0]+applied[1] != all {
			t.Fatalf("the two processes applied %d and %d migrations, want %d in all", applied[0], applied[1], all)
		}
		again, err := migrate(ctx, procs[0], log)
		if err != nil || again != 0 {
			t.Fatalf("migrating again applied %d (err %v), want none", again, err)
		}
		res, err := m.Validate(ctx, nil)
		if err != nil || !res.OK {
			t.Fatalf("River's schema is not complete: %v %v", res, err)
		}
	})
}

func TestInvalidPeriodicJobPanics(t *testing.T) {
	j := newJobs(t, openDB(t, dbtest.SQLiteURL(t)), Options{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	j.AddPeriodic(Periodic{Name: "test.none", Args: func() river.JobArgs { return tickArgs{} }})
}

// every is a schedule due again a few milliseconds after each run.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func TestPeriodicJobOnAScheduleRunsOncePerPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		logs := &logRecorder{}
		j := newJobs(t, openDB(t, url), Options{Logger: slog.New(logs)})
		var runs atomic.Int32
		AddWorker(j, river.WorkFunc(func(context.Context, *river.Job[tickArgs]) error {
			runs.Add(1)
			return nil
		}))
		// Due every 5ms, but at most once an hour.
		j.AddPeriodic(Periodic{Name: "test.tick", Every: time.Hour, At: every(5 * time.Millisecond),
			Args: func() river.JobArgs { return tickArgs{} }})
		start(t, j)
		waitUntil(t, "a later time's duplicate skipped", func() bool {
			return logs.count("jobs: an equal job exists; not inserted kind=test.tick") > 0
		})
		waitUntil(t, "the run", func() bool { return runs.Load() > 0 })
		stop(t, j)
		if n := runs.Load(); n != 1 {
			t.Fatalf("%d runs, want 1", n)
		}
	})
}

type waitArgs struct{}

func (waitArgs) Kind() string { return "test.wait" }

// waitWorker runs until released or cancelled, and reports which.
type waitWorker struct {
	river.WorkerDefaults[waitArgs]
	started chan struct{}
	release chan struct{}
	ended   chan error
}

func (w *waitWorker) Work(ctx context.Context, _ *river.Job[waitArgs]) error {
	w.started <- struct{}{}
	select {
	case <-w.release:
		w.ended <- nil
		return nil
	case <-ctx.Done():
		w.ended <- ctx.Err()
		return ctx.Err()
	}
}

func TestStopLetsRunningJobsFinishThenCancelsThem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := openDB(t, url)
		for _, tc := range []struct {
			name    string
			release bool
			want    error
			states  []rivertype.JobState
		}{
			{"finishes", true, nil, []rivertype.JobState{rivertype.JobStateCompleted}},
			// A cancelled job is worked again later: River makes it available at once when
			// its retry is due before the scheduler's next run, else retryable.
			{"overruns", false, context.Canceled, []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRetryable}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				j := newJobs(t, d, Options{StopTimeout: 50 * time.Millisecond})
				w := &waitWorker{started: make(chan struct{}, 1), release: make(chan struct{}), ended: make(chan error, 1)}
				AddWorker(j, w)
				start(t, j)
				if err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
					return j.InsertTx(ctx, tx, waitArgs{}, nil)
				}); err != nil {
					t.Fatal(err)
				}
				receive(t, w.started, "job start")
				stopped := make(chan error, 1)
				go func() { stopped <- j.Stop(context.Background()) }()
				if tc.release {
					close(w.release)
				}
				if err := receive(t, stopped, "stop"); err != nil {
					t.Fatal(err)
				}
				if err := receive(t, w.ended, "job end"); !errors.Is(err, tc.want) {
					t.Fatalf("job ended with %v, want %v", err, tc.want)
				}
				// Stop returned only once the job's end was recorded.
				res, err := j.client.JobList(context.Background(), river.NewJobListParams().Kinds("test.wait").States(tc.states...))
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Jobs) != 1 {
					t.Fatalf("%d jobs in %v, want this one", len(res.Jobs), tc.states)
				}
			})
		}
	})
}
