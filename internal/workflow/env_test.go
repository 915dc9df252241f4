package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is the workflow service over the ticket and rules services on a fresh, migrated
// database (testenv), with a fake clock and River's tables. River is never started: work
// runs the jobs the desk enqueued, as River would, when the clock says they are due.
type env struct {
	*testenv.Env
	t       testing.TB
	ctx     context.Context
	db      *db.DB
	clock   *clock.Fake
	tickets *ticket.Service
	rules   *rules.Service
	svc     *Service
	auth    *auth.Service
	jobs    *jobs.Jobs
	st      *settings.Store
}

var start = testenv.Start

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

func newEnv(t testing.TB, url string) *env {
	t.Helper()
	base := testenv.New(t, url)
	d, clk, log := base.DB, base.Clock, testenv.Quiet
	j, err := jobs.New(base.Ctx, d, jobs.Options{Clock: clk, Logger: log})
	if err != nil {
		t.Fatalf("jobs: %v", err)
	}
	st := settings.NewStore(d, clk, settings.Defaults())
	tickets := ticket.NewService(d, clk, event.NewBus(log), st)
	rs := rules.NewService(d, clk, tickets, log)
	return &env{
		Env: base, t: t, ctx: base.Ctx, db: d, clock: clk, auth: base.Auth,
		tickets: tickets, rules: rs, jobs: j, st: st,
		svc: NewService(d, clk, tickets, rs, j, log),
	}
}

// The helpers of testenv under the names the tests use.

func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	return e.User(role)
}

func (e *env) insert(query string, args ...any) int64 {
	e.t.Helper()
	return e.Insert(query, args...)
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	e.Exec(query, args...)
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	return e.Count(query, args...)
}

func (e *env) tag(name string) int64 {
	e.t.Helper()
	return e.Tag(name)
}

func (e *env) department(name string) int64 {
	e.t.Helper()
	return e.Department(name)
}

func (e *env) activities(id int64) []string {
	e.t.Helper()
	return e.Activities(id)
}

// open creates a ticket for customer.
func (e *env) open(customer *auth.Actor, subject string, in ...func(*ticket.CreateInput)) *ticket.Ticket {
	e.t.Helper()
	c := ticket.CreateInput{Subject: subject, Description: "Details of " + subject}
	for _, f := range in {
		f(&c)
	}
	t, err := e.tickets.Create(e.ctx, customer, c)
	if err != nil {
		e.t.Fatalf("create ticket: %v", err)
	}
	return t
}

func (e *env) get(id int64) *ticket.Detail {
	e.t.Helper()
	d, err := e.tickets.Get(e.ctx, auth.System(), id)
	if err != nil {
		e.t.Fatalf("get %d: %v", id, err)
	}
	return d
}

func (e *env) tagIDs(id int64) []int64 {
	var out []int64
	for _, tg := range e.get(id).Tags {
		out = append(out, tg.ID)
	}
	slices.Sort(out)
	return out
}

// workflow saves an active workflow; conditions and actions are JSON for readability, and
// conditions may be "" for none.
func (e *env) workflow(trigger, conditions, actions string) *Workflow {
	e.t.Helper()
	e.Seq++
	name := fmt.Sprintf("workflow %d", e.Seq)
	in := Input{Name: &name, Trigger: &trigger}
	if conditions != "" {
		var c Conditions
		if err := json.Unmarshal([]byte(conditions), &c); err != nil {
			e.t.Fatalf("conditions %s: %v", conditions, err)
		}
		in.Conditions = &c
	}
	var acts []Action
	if err := json.Unmarshal([]byte(actions), &acts); err != nil {
		e.t.Fatalf("actions %s: %v", actions, err)
	}
	in.Actions = &acts
	w, err := e.svc.Create(e.ctx, auth.System(), in)
	if err != nil {
		e.t.Fatalf("create workflow %s / %s / %s: %v", trigger, conditions, actions, err)
	}
	return w
}

// pendingJob is a River job the desk enqueued and nobody has worked yet.
type pendingJob struct {
	ID          int64           `bun:"id"`
	Kind        string          `bun:"kind"`
	Args        json.RawMessage `bun:"args,type:text"`
	ScheduledAt time.Time       `bun:"scheduled_at"`
}

func (e *env) pending() []pendingJob {
	e.t.Helper()
	// River's SQLite driver keeps args in SQLite's binary JSON.
	args := "args"
	if e.db.Dialect == db.SQLite {
		args = "json(args)"
	}
	var list []pendingJob
	if err := e.db.R.NewRaw(`SELECT id, kind, `+args+` AS args, scheduled_at FROM river_job
		WHERE state IN ('available', 'scheduled') ORDER BY scheduled_at, id`).Scan(e.ctx, &list); err != nil {
		e.t.Fatalf("pending jobs: %v", err)
	}
	return list
}

// work runs the enqueued workflow jobs that are due at the clock's time, and those they
// enqueue, until none is due; it returns how many it ran. A job is removed before it runs,
// as River marks it running.
func (e *env) work() int {
	e.t.Helper()
	ran := 0
	for {
		var next *pendingJob
		for _, j := range e.pending() {
			// Webhook deliveries are left for River (see webhook_test.go).
			if (j.Kind == evaluateArgs{}.Kind() || j.Kind == resumeArgs{}.Kind()) && !j.ScheduledAt.After(e.clock.Now()) {
				next = &j
				break
			}
		}
		if next == nil {
			return ran
		}
		if ran++; ran > 1000 {
			e.t.Fatal("jobs keep coming: a loop")
		}
		e.exec(`DELETE FROM river_job WHERE id = ?`, next.ID)
		if err := e.runJob(*next); err != nil {
			e.t.Fatalf("job %s %d: %v", next.Kind, next.ID, err)
		}
	}
}

func (e *env) runJob(j pendingJob) error {
	row := &rivertype.JobRow{ID: j.ID, Kind: j.Kind, EncodedArgs: j.Args}
	switch j.Kind {
	case evaluateArgs{}.Kind():
		var a evaluateArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			return err
		}
		return (&evaluateWorker{s: e.svc}).Work(e.ctx, &river.Job[evaluateArgs]{JobRow: row, Args: a})
	case resumeArgs{}.Kind():
		var a resumeArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			return err
		}
		return (&resumeWorker{s: e.svc}).Work(e.ctx, &river.Job[resumeArgs]{JobRow: row, Args: a})
	}
	return fmt.Errorf("unknown job kind %s", j.Kind)
}

// runs returns the run log of a workflow, oldest first.
func (e *env) runs(w *Workflow) []Run {
	e.t.Helper()
	list, _, err := e.svc.Logs(e.ctx, auth.System(), LogFilter{WorkflowID: w.ID, Page: 1, PerPage: 100})
	if err != nil {
		e.t.Fatalf("logs: %v", err)
	}
	slices.Reverse(list)
	return list
}

// statuses lists the statuses of a workflow's runs, oldest first.
func (e *env) statuses(w *Workflow) []string {
	var out []string
	for _, r := range e.runs(w) {
		out = append(out, r.Status)
	}
	return out
}

// matched returns the runs of a workflow whose conditions held, oldest first.
func (e *env) matched(w *Workflow) []Run {
	var out []Run
	for _, r := range e.runs(w) {
		if r.Matched {
			out = append(out, r)
		}
	}
	return out
}
