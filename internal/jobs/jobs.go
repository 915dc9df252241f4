// Package jobs is the desk's durable background work, on River
// (github.com/riverqueue/river). Jobs live in the desk's own database, are inserted in the
// same transaction as the change that causes them, are worked after that transaction
// commits and never if it rolls back, survive restarts, and are shared by every process on
// one database.
//
// Domain packages register their work while the desk is built, before Start:
//
//	jobs.AddWorker(j, &breachWorker{...}) // a river.Worker[breachArgs]
//	j.AddPeriodic(jobs.Periodic{Name: "sla.sweep", Every: time.Minute,
//		Args: func() river.JobArgs { return sweepArgs{} }})
//
// and enqueue inside their write transaction:
//
//	d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
//		// ... write the change ...
//		return j.InsertTx(ctx, tx, breachArgs{TicketID: id}, &river.InsertOpts{ScheduledAt: due})
//	})
//
// A desk whose Run is never called (an embedding host may work jobs in another process)
// still inserts: River's client inserts without being started.
//
// # Databases
//
// One *sql.DB serves bun and River: the writer (db.DB.W). On SQLite that is the single
// writer connection, so River's queries queue behind ticket writes like any other write;
// River's riversqlite driver asks for exactly that (one connection) to avoid SQLITE_BUSY.
// SQLite has no LISTEN/NOTIFY; riversqlite emulates it with an outbox table that a listener
// polls every 50ms, which is a query on the writer 20 times a second. The desk does not use
// it: the client runs in River's poll-only mode and looks for new jobs every PollInterval
// instead. PostgreSQL through database/sql (riverdatabasesql) is poll-only as well.
//
// # Time
//
// River reads the time through a rivertype.TimeGenerator that river.Config.Test.Time
// replaces: Now for its own arithmetic and NowOrNil for the timestamps it writes (nil means
// the database's clock). When the desk runs on a clock other than the wall clock, Jobs hands
// that clock to River, so a job inserted with ScheduledAt = clock.Now()+1h falls due when a
// test moves its fake clock an hour on, and periodic jobs' one-per-period windows follow it.
//
// River's timers are not on that clock, though: the periodic enqueuer waits a schedule's
// interval of wall time, the scheduler that makes due scheduled and retryable jobs available
// runs every 5 seconds of wall time, and the rescuer (every 30 seconds) and the queue
// cleaner compare the timestamps River wrote with the wall clock. Moving a fake clock fires
// none of them, and with a fake clock months from the wall clock a job that happens to be
// running when the rescuer looks is taken as abandoned and run again; test jobs are short.
//
// Tests therefore never wait for a schedule. They insert with ScheduledAt at or before the
// clock's now (the job is available at once), rely on RunOnStart (an interval Periodic is
// inserted as soon as a process becomes leader), or call a worker's Work with a river.Job
// they build. rivertest.Worker runs a worker inside a test transaction, but on SQLite that
// transaction holds the only writer connection, so it only suits workers that do not write
// through the desk's database. Waiting for an asynchronous job subscribes to the client's
// events (river.EventKindJobCompleted) with a timeout; River's river.Config.TestOnly starts
// its maintenance services at once instead of staggered over a few seconds.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// Defaults for Options.
const (
	// DefaultPollInterval is how often an idle process looks for new jobs: a job committed
	// by any process starts within this time, and an idle desk makes about one small query
	// a second.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultStopTimeout is how long Stop lets running jobs finish before cancelling them.
	DefaultStopTimeout = 10 * time.Second
)

// maxWorkers bounds the jobs one process runs at once. Jobs mostly wait on the network
// (webhooks, mail), so more than the cores; on SQLite their writes queue on one connection.
const maxWorkers = 10

// cancelGrace is how long a hard stop waits for cancelled jobs to return.
const cancelGrace = 5 * time.Second

// Options change how New builds Jobs. The zero value is the production setting.
type Options struct {
	// Clock is the desk's clock; nil is the wall clock. See the package doc on time.
	Clock clock.Clock
	// Logger receives River's logs and the desk's; nil is slog.Default().
	Logger *slog.Logger
	// PollInterval is how often an idle process looks for new jobs; 0 is
	// DefaultPollInterval. Tests shorten it.
	PollInterval time.Duration
	// StopTimeout is how long Stop lets running jobs finish before cancelling their
	// contexts; 0 is DefaultStopTimeout.
	StopTimeout time.Duration
	// Tune, when set, adjusts River's configuration last, for timings production keeps at
	// River's defaults (tests shorten RescueStuckJobsAfter, for one).
	Tune func(*river.Config)
}

// Jobs is the desk's River client with its workers and periodic schedules.
type Jobs struct {
	client  *river.Client[*sql.Tx]
	workers *river.Workers
	log     *slog.Logger

	mu      sync.Mutex
	started bool
	stopped <-chan struct{} // closed when the started client has stopped
}

// New applies River's migrations to d and builds the client. Nothing runs until Start.
func New(ctx context.Context, d *db.DB, o Options) (*Jobs, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if _, err := migrate(ctx, d, o.Logger); err != nil {
		return nil, err
	}
	j := &Jobs{workers: river.NewWorkers(), log: o.Logger}
	cfg := &river.Config{
		Logger:            o.Logger,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers:           j.workers,
		PollOnly:          true,
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     min(river.FetchCooldownDefault, o.PollInterval),
		SoftStopTimeout:   o.StopTimeout,
		Middleware:        []rivertype.Middleware{&uniqueSkipLogger{log: o.Logger}},
	}
	if _, wall := o.Clock.(clock.Real); o.Clock != nil && !wall {
		cfg.Test.Time = riverTime{o.Clock}
		// River's rescuer measures a running job's age on the wall clock, but the job was
		// attempted at the injected clock's time, months earlier in tests: it would take
		// every running job for stuck and reschedule it in the injected clock's future,
		// where it never comes due. A test of rescue sets its own (Tune).
		cfg.RescueStuckJobsAfter = 100 * 365 * 24 * time.Hour
	}
	if o.Tune != nil {
		o.Tune(cfg)
	}
	client, err := river.NewClient(newDriver(d), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j.client = client
	return j, nil
}

func newDriver(d *db.DB) riverdriver.Driver[*sql.Tx] {
	if d.Dialect == db.SQLite {
		return riversqlite.New(d.W.DB)
	}
	return riverdatabasesql.New(d.W.DB)
}

// AddWorker registers the worker for its kind of job. Like river.AddWorker it panics on a
// kind registered twice, and it panics after Start: workers are wiring, fixed before the
// desk runs.
func AddWorker[T river.JobArgs](j *Jobs, w river.Worker[T]) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		panic("jobs: AddWorker after Start")
	}
	river.AddWorker(j.workers, w)
}

// AddQueue adds a queue of its own for a kind of job, worked by at most maxWorkers at once
// beside the default queue's. Work that waits long on the network (webhook deliveries) gets
// one, so a slow peer cannot hold every worker that SLA checks and rules need. It panics on
// an invalid queue or after Start, as AddWorker does.
func (j *Jobs) AddQueue(name string, maxWorkers int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		panic("jobs: AddQueue after Start")
	}
	if err := j.client.Queues().Add(name, river.QueueConfig{MaxWorkers: maxWorkers}); err != nil {
		panic(fmt.Sprintf("jobs: add queue %q: %v", name, err))
	}
}

// Periodic is work that runs on a schedule, once per period however many processes share
// the database.
//
// Only the process River elects leader enqueues periodic jobs, and each job is unique
// within its period (a UTC-aligned window of length Every), so a new leader after a restart
// or a failover cannot run it twice in one window.
type Periodic struct {
	// Name identifies the schedule; unique among periodic jobs.
	Name string
	// Every is the period. Without At the job runs every Every, and once as soon as a
	// process becomes leader: River keeps schedules in memory and restarts them with each
	// leader, so without that first run a desk restarted more often than Every would never
	// run it.
	Every time.Duration
	// At, when set, gives the run times instead (anything with Next(time.Time) time.Time,
	// such as a parsed cron expression); the job then does not run when a leader starts.
	At river.PeriodicSchedule
	// Args builds the job each time it is due. Its kind needs a worker (AddWorker).
	Args func() river.JobArgs
}

// periodicMaxAttempts keeps a failing periodic job from retrying for days: the next period
// runs it afresh.
const periodicMaxAttempts = 3

// AddPeriodic registers a periodic job. It panics on an invalid one or after Start, as
// AddWorker does.
func (j *Jobs) AddPeriodic(p Periodic) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		panic("jobs: AddPeriodic after Start")
	}
	if p.Name == "" || p.Every <= 0 || p.Args == nil {
		panic(fmt.Sprintf("jobs: periodic job %q needs a Name, a positive Every and Args", p.Name))
	}
	schedule, runOnStart := p.At, false
	if schedule == nil {
		schedule, runOnStart = river.PeriodicInterval(p.Every), true
	}
	opts := &river.InsertOpts{
		MaxAttempts: periodicMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByPeriod: p.Every},
	}
	j.client.PeriodicJobs().Add(river.NewPeriodicJob(schedule,
		func() (river.JobArgs, *river.InsertOpts) { return p.Args(), opts },
		&river.PeriodicJobOpts{ID: p.Name, RunOnStart: runOnStart}))
}

// InsertTx enqueues a job in the caller's transaction: it is worked after tx commits, and
// never if tx rolls back. opts may be nil.
func (j *Jobs) InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := j.client.InsertTx(ctx, tx.Tx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}

// InsertManyTx enqueues several jobs in the caller's transaction in one statement, which
// costs far less than as many InsertTx calls; otherwise it is InsertTx.
func (j *Jobs) InsertManyTx(ctx context.Context, tx bun.Tx, params []river.InsertManyParams) error {
	if _, err := j.client.InsertManyTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("jobs: insert %d jobs: %w", len(params), err)
	}
	return nil
}

// CompleteTx marks the running job complete in the caller's transaction, from inside its
// worker: a job whose work is a write (enqueueing other jobs, say) then commits its work and
// its completion together and is never done twice, even when the process dies in between.
func CompleteTx[T river.JobArgs](ctx context.Context, tx bun.Tx, job *river.Job[T]) error {
	// The driver type only satisfies the signature: River completes the job through the
	// client the worker runs in, whichever driver that is.
	if _, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.Tx, job); err != nil {
		return fmt.Errorf("jobs: complete %s %d: %w", job.Kind, job.ID, err)
	}
	return nil
}

// Start begins working jobs and, if this process is elected leader, enqueuing periodic
// ones and rescuing jobs abandoned by dead processes. It returns at once; Stop ends it.
// ctx's values reach the workers, its cancellation does not: Stop decides how jobs end.
func (j *Jobs) Start(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return errors.New("jobs: already started")
	}
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	j.started, j.stopped = true, j.client.Stopped()
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish. After StopTimeout it
// cancels their contexts, and it gives up waiting when ctx ends. Stop is safe to call more
// than once, concurrently, and without Start.
func (j *Jobs) Stop(ctx context.Context) error {
	j.mu.Lock()
	stopped := j.stopped
	j.mu.Unlock()
	if stopped == nil {
		return nil
	}
	// Stop returns at once when another caller is already stopping the client, so every
	// caller waits on the stopped channel instead.
	if err := j.client.Stop(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if err := j.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: running jobs did not return after cancellation: %w", err)
	}
	return nil
}

// riverTime makes River read the desk's clock (see the package doc on time).
type riverTime struct{ c clock.Clock }

func (t riverTime) Now() time.Time { return t.c.Now() }

func (t riverTime) NowOrNil() *time.Time {
	now := t.c.Now()
	return &now
}

// uniqueSkipLogger notes a unique job that was not inserted because an equal one exists,
// which is what a new leader's first run of a periodic job usually finds.
type uniqueSkipLogger struct {
	river.MiddlewareDefaults
	log *slog.Logger
}

func (m *uniqueSkipLogger) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, next func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	res, err := next(ctx)
	for _, r := range res {
		if r != nil && r.UniqueSkippedAsDuplicate && r.Job != nil {
			m.log.DebugContext(ctx, "jobs: an equal job exists; not inserted", "kind", r.Job.Kind)
		}
	}
	return res, err
}
