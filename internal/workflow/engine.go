package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/webhook"
)

// MaxDepth is how many workflows may set each other off in a row. An event caused by the
// changes of MaxDepth workflows, each acting on the event of the one before, runs no further
// workflow; the run log says so.
const MaxDepth = 5

// eventTriggers maps domain events to the workflow triggers they fire. ReplyCreated also
// fires reply.agent_reply when staff wrote the reply.
var eventTriggers = map[string]string{
	event.TicketCreated:         "ticket.created",
	event.TicketUpdated:         "ticket.updated",
	event.TicketStatusChanged:   "ticket.status_changed",
	event.TicketAssigned:        "ticket.assigned",
	event.TicketPriorityChanged: "ticket.priority_changed",
	event.TagAdded:              "ticket.tagged",
	event.DepartmentChanged:     "ticket.department_changed",
	event.ReplyCreated:          "reply.created",
	event.SlaWarning:            "sla.warning",
	event.SlaBreached:           "sla.breached",
	event.TicketReopened:        "ticket.reopened",
}

// chainKey marks a context as the work of a workflow: its value lists the workflows whose
// changes led here, the one acting now last.
type chainKey struct{}

func withChain(ctx context.Context, chain []int64) context.Context {
	return context.WithValue(ctx, chainKey{}, chain)
}

func chainOf(ctx context.Context) []int64 {
	chain, _ := ctx.Value(chainKey{}).([]int64)
	return chain
}

// evaluateArgs is the job that runs the workflows of one trigger for one event.
type evaluateArgs struct {
	Trigger string      `json:"trigger"`
	Event   event.Event `json:"event"`
	// Chain lists the workflows whose changes caused the event, first to last.
	Chain []int64 `json:"chain,omitempty"`
}

func (evaluateArgs) Kind() string { return "workflows.evaluate" }

// resumeArgs is the job that goes on with a run once its delay is over. It carries the
// workflow as it was when the run started, so an edit does not change a run under way.
type resumeArgs struct {
	RunID      int64       `json:"run_id"`
	WorkflowID int64       `json:"workflow_id"`
	Name       string      `json:"name"`
	Trigger    string      `json:"trigger"`
	Conditions Conditions  `json:"conditions"`
	Actions    []Action    `json:"actions"`
	From       int         `json:"from"` // the first action after the delay
	Event      event.Event `json:"event"`
	Chain      []int64     `json:"chain,omitempty"`
}

func (resumeArgs) Kind() string { return "workflows.resume" }

type evaluateWorker struct {
	river.WorkerDefaults[evaluateArgs]
	s *Service
}

func (w *evaluateWorker) Work(ctx context.Context, job *river.Job[evaluateArgs]) error {
	return w.s.evaluate(ctx, job.ID, job.Args)
}

type resumeWorker struct {
	river.WorkerDefaults[resumeArgs]
	s *Service
}

func (w *resumeWorker) Work(ctx context.Context, job *river.Job[resumeArgs]) error {
	return w.s.resume(ctx, job.Args)
}

// enqueue is the ticket service's transaction hook: for each event whose trigger an active
// workflow waits for, it enqueues an evaluation with the change, marked with the workflows
// that caused the change, if any.
func (s *Service) enqueue(ctx context.Context, tx bun.Tx, events []event.Event) error {
	type due struct {
		trigger string
		ev      event.Event
	}
	var list []due
	var names []string
	for _, ev := range events {
		tr, ok := eventTriggers[ev.Name]
		if !ok {
			continue
		}
		list = append(list, due{tr, ev})
		if ev.Name == event.ReplyCreated {
			list = append(list, due{"reply.agent_reply", ev})
		}
	}
	if len(list) == 0 {
		return nil
	}
	for _, d := range list {
		if !slices.Contains(names, d.trigger) {
			names = append(names, d.trigger)
		}
	}
	// The workflows that caused the change never run on it, so only the others count.
	chain := chainOf(ctx)
	triggers, err := s.triggers.Get(ctx, s.clock.Now(), func(ctx context.Context) (map[string][]int64, error) {
		return loadTriggers(ctx, tx)
	})
	if err != nil {
		return err
	}
	var active []string
	for _, name := range names {
		if slices.ContainsFunc(triggers[name], func(id int64) bool { return !slices.Contains(chain, id) }) {
			active = append(active, name)
		}
	}
	if len(active) == 0 {
		return nil
	}
	for _, d := range list {
		if !slices.Contains(active, d.trigger) {
			continue
		}
		if d.trigger == "reply.agent_reply" {
			staff, err := byStaff(ctx, tx, d.ev.ActorID)
			if err != nil {
				return err
			}
			if !staff {
				continue
			}
		}
		if err := s.jobs.InsertTx(ctx, tx, evaluateArgs{Trigger: d.trigger, Event: d.ev, Chain: chain}, nil); err != nil {
			return err
		}
	}
	return nil
}

// loadTriggers reads the ids of the active workflows by trigger.
func loadTriggers(ctx context.Context, tx bun.IDB) (map[string][]int64, error) {
	var rows []struct {
		ID      int64  `bun:"id"`
		Trigger string `bun:"trigger_event"`
	}
	if err := tx.NewRaw(`SELECT id, trigger_event FROM workflows WHERE is_active = TRUE ORDER BY id`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("workflow: active triggers: %w", err)
	}
	m := make(map[string][]int64)
	for _, r := range rows {
		m[r.Trigger] = append(m[r.Trigger], r.ID)
	}
	return m, nil
}

// byStaff reports whether a change was made by staff: an agent, or the desk itself.
func byStaff(ctx context.Context, tx bun.Tx, actorID *int64) (bool, error) {
	if actorID == nil {
		return true, nil
	}
	var roles []string
	if err := tx.NewRaw(`SELECT role FROM users WHERE id = ?`, *actorID).Scan(ctx, &roles); err != nil {
		return false, fmt.Errorf("workflow: load author: %w", err)
	}
	return len(roles) > 0 && roles[0] != auth.RoleCustomer, nil
}

// compiled is a workflow in its working form.
type compiled struct {
	w     Workflow
	conds condSet
	acts  []act
	needs needs
}

func compile(w *Workflow) (*compiled, error) {
	var v apperr.Validation
	p := newParser(&v, false)
	conds := p.conditions(w.Conditions, w.Trigger)
	acts := p.actions(w.Actions)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &compiled{w: *w, conds: conds, acts: acts, needs: conds.needs()}, nil
}

// maxCached bounds the compiled workflows a process keeps; past it the cache starts over.
const maxCached = 10_000

// active returns the active workflows of a trigger in the order they run, compiled. Only
// their ids and versions are read each time: a workflow is compiled again, and its patterns
// with it, only when it has changed.
func (s *Service) active(ctx context.Context, trigger string) ([]*compiled, error) {
	var heads []struct {
		ID      int64 `bun:"id"`
		Version int   `bun:"version"`
	}
	if err := s.db.R.NewRaw(`SELECT id, version FROM workflows WHERE is_active = TRUE AND trigger_event = ? ORDER BY position, id`, trigger).Scan(ctx, &heads); err != nil {
		return nil, fmt.Errorf("workflow: load active: %w", err)
	}
	var missing []int64
	s.mu.Lock()
	for _, h := range heads {
		if c := s.cache[h.ID]; c == nil || c.w.Version < h.Version {
			missing = append(missing, h.ID)
		}
	}
	s.mu.Unlock()
	if len(missing) > 0 {
		var ws []Workflow
		if err := s.db.R.NewSelect().Model(&ws).Where("id IN (?)", bun.In(missing)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("workflow: load active: %w", err)
		}
		fresh := make([]*compiled, 0, len(ws))
		for i := range ws {
			c, err := compile(&ws[i])
			if err != nil {
				// Saved workflows were validated; one that no longer parses is a bug, not input.
				s.log.Error("workflow: stored workflow does not parse; skipped", "workflow", ws[i].ID, "err", err)
				continue
			}
			fresh = append(fresh, c)
		}
		s.mu.Lock()
		if len(s.cache)+len(fresh) > maxCached {
			clear(s.cache)
		}
		for _, c := range fresh {
			s.cache[c.w.ID] = c
		}
		s.mu.Unlock()
	}
	out := make([]*compiled, 0, len(heads))
	s.mu.Lock()
	for _, h := range heads {
		if c := s.cache[h.ID]; c != nil && c.w.Version >= h.Version {
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	return out, nil
}

// evaluate runs the active workflows of a trigger for one event, in position order. Each is
// checked against the ticket as it is now; one that matches acts in its own transaction,
// and the next sees its changes. jobID marks the runs, so a retried job runs no workflow
// twice. Workflows whose conditions do not hold are not logged.
func (s *Service) evaluate(ctx context.Context, jobID int64, a evaluateArgs) error {
	list, err := s.active(ctx, a.Trigger)
	if err != nil || len(list) == 0 {
		return err
	}
	var n needs
	for _, c := range list {
		n = n.or(c.needs)
	}
	var snap *snapshot
	var stopped []Run // workflows the loop guard stopped, written together at the end
	for _, c := range list {
		// The changes of a workflow never run it again, however many workflows lie between.
		if slices.Contains(a.Chain, c.w.ID) {
			continue
		}
		if snap == nil {
			t, err := loadTicket(ctx, s.db.R, a.Event.Ticket.ID)
			if err != nil {
				return err
			}
			if t == nil {
				break // the ticket is gone
			}
			if snap, err = loadSnapshot(ctx, s.db.R, *t, a.Event, n, s.clock.Now()); err != nil {
				return err
			}
		}
		// A workflow whose conditions do not hold leaves no entry in the run log: writing one
		// for each of them was most of the cost of an evaluation (docs/decisions.md).
		if !c.conds.holds(snap) {
			continue
		}
		st := &step{c: c, trigger: a.Trigger, ev: a.Event, chain: a.Chain, jobID: &jobID}
		now := s.clock.Now()
		if len(a.Chain) >= MaxDepth {
			run := st.newRun(now)
			run.Matched, run.Status, run.FinishedAt = true, RunStopped, &now
			run.Message = fmt.Sprintf("Not run: the changes of %d workflows in a row (%s) led to this event, and at most %d may.",
				len(a.Chain), joinIDs(a.Chain), MaxDepth)
			stopped = append(stopped, run)
			continue
		}
		changed, err := s.execute(ctx, st)
		if err != nil {
			return err
		}
		if changed {
			snap = nil
		}
	}
	if len(stopped) == 0 {
		return nil
	}
	_, err = s.db.W.NewInsert().Model(&stopped).On("CONFLICT (workflow_id, job_id) DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("workflow: write run log: %w", err)
	}
	return nil
}

// resume goes on with a run once its delay is over, unless the workflow has been deleted
// (its log with it) or switched off since.
func (s *Service) resume(ctx context.Context, a resumeArgs) error {
	var runs []Run
	if err := s.db.R.NewSelect().Model(&runs).Where("id = ?", a.RunID).Scan(ctx); err != nil {
		return fmt.Errorf("workflow: load run %d: %w", a.RunID, err)
	}
	if len(runs) == 0 || runs[0].Status != RunDelayed || runs[0].NextAction != a.From {
		return nil // deleted with its workflow, or already resumed
	}
	c, err := compile(&Workflow{ID: a.WorkflowID, Name: a.Name, Trigger: a.Trigger, Conditions: a.Conditions, Actions: a.Actions})
	if err != nil {
		return fmt.Errorf("workflow: run %d does not parse: %w", a.RunID, err)
	}
	st := &step{c: c, trigger: a.Trigger, ev: a.Event, chain: a.Chain, from: a.From, run: &runs[0]}
	w, err := load(ctx, s.db.R, a.WorkflowID, "")
	switch {
	case apperr.Is(err, apperr.KindNotFound):
		return nil
	case err != nil:
		return err
	case !w.IsActive:
		return s.stop(ctx, st, "The workflow was switched off before its delay ended; the remaining actions were not run.")
	}
	_, err = s.execute(ctx, st)
	return err
}

// step is a workflow acting on the ticket of an event: its actions from `from` up to the
// next delay or the end.
type step struct {
	c       *compiled
	trigger string
	ev      event.Event
	chain   []int64 // the workflows that caused the event
	from    int
	jobID   *int64 // a first step: the evaluating job
	run     *Run   // a step after a delay: the run it continues
}

// end is the index of the delay that ends the step, or the number of actions.
func (st *step) end() int {
	i := st.from
	for i < len(st.c.acts) && st.c.acts[i].typ != "delay" {
		i++
	}
	return i
}

func (st *step) newRun(now time.Time) Run {
	id := st.ev.Ticket.ID
	return Run{
		WorkflowID: st.c.w.ID, TicketID: &id, Event: st.trigger, Actions: []ActionResult{},
		Depth: len(st.chain), JobID: st.jobID, StartedAt: now,
	}
}

// prepared is an action ready to run: its ticket changes, or why it cannot run here.
type prepared struct {
	ops    []ticket.Op
	failed string
}

// prepare turns the step's actions into ticket changes before the ticket is locked.
func (s *Service) prepare(ctx context.Context, acts []act, now time.Time) ([]prepared, error) {
	out := make([]prepared, len(acts))
	for i, a := range acts {
		id := a.id
		var op ticket.Op
		switch a.typ {
		case "assign_agent":
			op = ticket.OpAssign(&id)
		case "change_status":
			op = ticket.OpStatus(a.str)
		case "close_ticket":
			op = ticket.OpStatus(ticket.StatusClosed)
		case "change_priority":
			op = ticket.OpPriority(a.str)
		case "add_tag":
			op = ticket.OpAddTags([]int64{id})
		case "remove_tag":
			op = ticket.OpRemoveTags([]int64{id})
		case "move_department":
			op = ticket.OpDepartment(&id)
		case "add_internal_note":
			op = ticket.OpReply(ticket.ReplyInput{Body: a.str, IsInternalNote: true})
		case "apply_macro":
			ops, err := s.macros.MacroOps(ctx, auth.System(), id)
			var ae *apperr.Error
			switch {
			case errors.As(err, &ae):
				out[i].failed = fmt.Sprintf("Macro %d could not be applied: %s", id, ae.Message)
			case err != nil:
				return nil, err
			}
			out[i].ops = ops
			continue
		case "snooze_ticket":
			if s.Snoozer == nil {
				out[i].failed = "Snoozing is not available on this desk yet; the ticket was not snoozed."
				continue
			}
			op = s.Snoozer(now.Add(time.Duration(a.minutes) * time.Minute))
		case "send_webhook":
			switch {
			case s.Webhooks == nil:
				out[i].failed = "Webhooks are not available on this desk yet; nothing was sent."
			case a.secret == "":
				out[i].failed = "The action has no signing secret (it was saved before webhooks could be sent); edit the workflow and give it one. Nothing was sent."
			}
			continue
		default: // send_notification: written with the run
			continue
		}
		out[i].ops = []ticket.Op{op}
	}
	return out, nil
}

// execute makes one step of a workflow on the ticket, as the system, in one transaction
// under the ticket's lock: it checks the conditions against the ticket as it is, makes the
// changes, leaves the notifications and webhooks, writes the run log and, at a delay,
// enqueues the rest. When the ticket service refuses a change, none of the step is applied
// and the run log says which action was refused. It reports whether the ticket changed.
func (s *Service) execute(ctx context.Context, st *step) (bool, error) {
	now := s.clock.Now()
	end := st.end()
	prep, err := s.prepare(ctx, st.c.acts[st.from:end], now)
	if err != nil {
		return false, err
	}
	var skip, passed, changed bool
	acting := withChain(ctx, append(slices.Clone(st.chain), st.c.w.ID))
	_, err = s.tickets.ApplyPlanned(acting, auth.System(), st.ev.Ticket.ID, ticket.Batch{
		Plan: func(ctx context.Context, tx bun.Tx, t ticket.Ticket) ([]ticket.Op, error) {
			skip, passed, changed = false, false, false
			due, err := s.due(ctx, tx, st)
			if err != nil || !due {
				skip = true
				return nil, err
			}
			snap, err := loadSnapshot(ctx, tx, t, st.ev, st.c.needs, now)
			if err != nil {
				return nil, err
			}
			if !st.c.conds.holds(snap) {
				passed = true
				return nil, nil
			}
			var ops []ticket.Op
			for _, p := range prep {
				ops = append(ops, p.ops...)
			}
			changed = len(ops) > 0
			return ops, nil
		},
		Done: func(ctx context.Context, tx bun.Tx, t *ticket.Ticket) error {
			if skip {
				return nil
			}
			return s.finish(ctx, tx, st, t, prep, passed, now)
		},
	})
	var refusal *apperr.Error
	switch {
	case err == nil:
		return changed, nil
	case apperr.Is(err, apperr.KindNotFound):
		if st.run != nil {
			return false, s.stop(ctx, st, "The ticket no longer exists; the remaining actions were not run.")
		}
		return false, nil
	case errors.As(err, &refusal):
		return false, s.refused(ctx, st, prep, refusal, now)
	}
	return false, err
}

// due reports whether the step is still to be done: a retried job or a resume job run twice
// finds it done.
func (s *Service) due(ctx context.Context, tx bun.Tx, st *step) (bool, error) {
	if st.run == nil {
		n, err := tx.NewSelect().Table("workflow_runs").Where("workflow_id = ? AND job_id = ?", st.c.w.ID, *st.jobID).Count(ctx)
		if err != nil {
			return false, fmt.Errorf("workflow: read run log: %w", err)
		}
		return n == 0, nil
	}
	// The run is read again under its lock: the outcome of a webhook it sent may have been
	// written since it was loaded.
	var runs []Run
	if err := tx.NewRaw(`SELECT * FROM workflow_runs WHERE id = ?`+s.db.ForUpdate(), st.run.ID).Scan(ctx, &runs); err != nil {
		return false, fmt.Errorf("workflow: read run %d: %w", st.run.ID, err)
	}
	if len(runs) != 1 || runs[0].Status != RunDelayed || runs[0].NextAction != st.from {
		return false, nil
	}
	st.run = &runs[0]
	return true, nil
}

// current is the run the step writes: a new one, or the delayed one it continues with its
// delay marked done.
func (st *step) current(now time.Time) Run {
	if st.run == nil {
		return st.newRun(now)
	}
	run := *st.run
	run.Actions = slices.Clone(run.Actions)
	for i := range run.Actions {
		if r := &run.Actions[i]; r.Index == st.from-1 && r.Status == "waiting" {
			r.Status = "applied"
		}
	}
	return run
}

// finish writes what the step did, in its transaction: the notifications and webhooks, the
// run log entry, and the job that goes on after a delay.
func (s *Service) finish(ctx context.Context, tx bun.Tx, st *step, t *ticket.Ticket, prep []prepared, passed bool, now time.Time) error {
	if passed && st.run == nil {
		return nil // the conditions no longer hold under the ticket's lock: not a run
	}
	run := st.current(now)
	if passed {
		run.Status, run.FinishedAt = RunStopped, &now
		run.Message = "The conditions no longer held when the delay ended; the remaining actions were not run."
		run.Actions = append(run.Actions, skipped(st, st.from, "Not run.")...)
		return save(ctx, tx, &run)
	}
	run.Matched = true
	var hooks []int // the send_webhook actions to enqueue once the run has its id
	for i, p := range prep {
		a := st.c.acts[st.from+i]
		res := ActionResult{Index: st.from + i, Type: a.typ, Status: "applied"}
		switch {
		case p.failed != "":
			res.Status, res.Message = "failed", p.failed
		case a.typ == "send_notification":
			n, err := s.notify(ctx, tx, st, a, t, now)
			if err != nil {
				return err
			}
			res.Message = fmt.Sprintf("%d agent(s) notified.", n)
		case a.typ == "send_webhook":
			res.Status, res.Message = "waiting", "Queued for delivery."
			hooks = append(hooks, st.from+i)
		}
		run.Actions = append(run.Actions, res)
	}
	end := st.from + len(prep)
	if end == len(st.c.acts) {
		run.FinishedAt = &now
		run.Status, run.Message = RunCompleted, ""
		if slices.ContainsFunc(run.Actions, func(r ActionResult) bool { return r.Status == "failed" }) {
			run.Status, run.Message = RunFailed, "Some actions failed; the others were applied."
		}
		if err := save(ctx, tx, &run); err != nil {
			return err
		}
		return s.sendWebhooks(ctx, tx, st, t, run.ID, hooks, now)
	}
	until := now.Add(time.Duration(st.c.acts[end].minutes) * time.Minute)
	run.Actions = append(run.Actions, ActionResult{Index: end, Type: "delay", Status: "waiting", Message: "Until " + until.Format(time.RFC3339) + "."})
	run.Status, run.NextAction = RunDelayed, end+1
	if err := save(ctx, tx, &run); err != nil {
		return err
	}
	if err := s.sendWebhooks(ctx, tx, st, t, run.ID, hooks, now); err != nil {
		return err
	}
	return s.jobs.InsertTx(ctx, tx, resumeArgs{
		RunID: run.ID, WorkflowID: st.c.w.ID, Name: st.c.w.Name, Trigger: st.trigger,
		Conditions: st.c.w.Conditions, Actions: st.c.w.Actions, From: end + 1, Event: st.ev, Chain: st.chain,
	}, &river.InsertOpts{ScheduledAt: until})
}

// sendWebhooks enqueues, in the run's transaction, the deliveries of the step's send_webhook
// actions at the indexes in hooks. Each carries the event's name (the workflow's trigger),
// the ticket as the step left it, the event's own details and the workflow.
func (s *Service) sendWebhooks(ctx context.Context, tx bun.Tx, st *step, t *ticket.Ticket, runID int64, hooks []int, now time.Time) error {
	for _, i := range hooks {
		a := st.c.acts[i]
		payload := make(map[string]any, len(st.ev.Data)+2)
		for k, v := range st.ev.Data {
			payload[k] = v
		}
		payload["ticket"] = event.TicketRef{ID: t.ID, Reference: t.Reference, Subject: t.Subject, Status: t.Status, Priority: t.Priority}
		payload["workflow"] = map[string]any{"id": st.c.w.ID, "name": st.c.w.Name}
		err := s.Webhooks.EnqueueActionTx(ctx, tx, webhook.ActionDelivery{
			URL: a.str, SealedSecret: a.secret, Event: st.trigger, Payload: payload, At: now, RunID: runID, Action: i,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RecordWebhook writes the outcome of an attempt to deliver a send_webhook action into the
// action's entry in the run log: delivered, failed for good (the run is then failed), or
// failed and to be retried. The webhook service calls it, in a transaction of its own, after
// every attempt. A run deleted with its workflow is left alone.
func (s *Service) RecordWebhook(ctx context.Context, tx bun.Tx, a webhook.ActionAttempt) error {
	var runs []Run
	if err := tx.NewRaw(`SELECT * FROM workflow_runs WHERE id = ?`+s.db.ForUpdate(), a.RunID).Scan(ctx, &runs); err != nil {
		return fmt.Errorf("workflow: load run %d: %w", a.RunID, err)
	}
	if len(runs) == 0 {
		return nil
	}
	run := runs[0]
	i := slices.IndexFunc(run.Actions, func(r ActionResult) bool { return r.Index == a.Action && r.Type == "send_webhook" })
	if i < 0 {
		return nil
	}
	res := &run.Actions[i]
	switch {
	case a.Delivered:
		res.Status = "applied"
	case a.Final:
		res.Status = "failed"
		if run.Status == RunCompleted {
			run.Status, run.Message = RunFailed, "Some actions failed; the others were applied."
		}
	default:
		res.Status = "waiting"
	}
	res.Message = a.Describe()
	if _, err := tx.NewUpdate().Model(&run).Column("actions", "status", "message").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("workflow: write run log: %w", err)
	}
	return nil
}

// refused records a step the ticket service refused: none of its changes was made. It finds
// the refused action by trying the step's changes one more at a time, each try undone.
func (s *Service) refused(ctx context.Context, st *step, prep []prepared, refusal *apperr.Error, now time.Time) error {
	bad, err := s.probe(ctx, st.ev.Ticket.ID, prep)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if due, err := s.due(ctx, tx, st); err != nil || !due {
			return err
		}
		run := st.current(now)
		run.Matched, run.Status, run.FinishedAt = true, RunFailed, &now
		what := "the actions after the delay"
		if st.run == nil {
			what = "the workflow's actions"
		}
		run.Message = fmt.Sprintf("The ticket refused a change: %s None of %s were applied.", refusal.Message, what)
		for i := range prep {
			idx := st.from + i
			res := ActionResult{Index: idx, Type: st.c.acts[idx].typ, Status: "skipped", Message: "Not applied: another action was refused."}
			if i == bad {
				res.Status, res.Message = "failed", refusal.Message
			}
			run.Actions = append(run.Actions, res)
		}
		run.Actions = append(run.Actions, skipped(st, st.from+len(prep), "Not run.")...)
		return save(ctx, tx, &run)
	})
}

// errProbe undoes a try of refused.
var errProbe = errors.New("workflow: probe")

// probe returns the index of the first prepared action whose changes the ticket service
// refuses, trying them one more at a time and undoing each try; -1 when none is refused now.
func (s *Service) probe(ctx context.Context, ticketID int64, prep []prepared) (int, error) {
	var ops []ticket.Op
	for i, p := range prep {
		if len(p.ops) == 0 {
			continue
		}
		ops = append(ops, p.ops...)
		_, err := s.tickets.ApplyPlanned(ctx, auth.System(), ticketID, ticket.Batch{
			Plan: func(context.Context, bun.Tx, ticket.Ticket) ([]ticket.Op, error) { return ops, nil },
			Done: func(context.Context, bun.Tx, *ticket.Ticket) error { return errProbe },
		})
		var ae *apperr.Error
		switch {
		case errors.Is(err, errProbe):
		case errors.As(err, &ae):
			return i, nil
		default:
			return -1, err
		}
	}
	return -1, nil
}

// stop ends a delayed run without running the rest of its actions.
func (s *Service) stop(ctx context.Context, st *step, message string) error {
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if due, err := s.due(ctx, tx, st); err != nil || !due {
			return err
		}
		run := st.current(now)
		run.Status, run.Message, run.FinishedAt = RunStopped, message, &now
		run.Actions = append(run.Actions, skipped(st, st.from, "Not run.")...)
		return save(ctx, tx, &run)
	})
}

// skipped lists the step's actions from index from on as not run.
func skipped(st *step, from int, message string) []ActionResult {
	var out []ActionResult
	for i := from; i < len(st.c.acts); i++ {
		out = append(out, ActionResult{Index: i, Type: st.c.acts[i].typ, Status: "skipped", Message: message})
	}
	return out
}

func save(ctx context.Context, tx bun.Tx, run *Run) error {
	var err error
	if run.ID == 0 {
		_, err = tx.NewInsert().Model(run).Returning("id").Exec(ctx)
	} else {
		_, err = tx.NewUpdate().Model(run).WherePK().ExcludeColumn("id").Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("workflow: write run log: %w", err)
	}
	return nil
}

// notify writes the notifications of a send_notification action: one per recipient who is
// an active agent, the assignee being whoever holds the ticket after the step's changes. It
// returns how many it wrote.
func (s *Service) notify(ctx context.Context, tx bun.Tx, st *step, a act, t *ticket.Ticket, now time.Time) (int, error) {
	to := slices.Clone(a.recipients)
	if a.assignee && t.AssignedTo != nil {
		to = append(to, *t.AssignedTo)
	}
	if len(to) == 0 {
		return 0, nil
	}
	return notification.ToStaff(ctx, tx, to, notification.Note{
		Type: notification.TypeWorkflow, TicketID: &t.ID,
		Data: map[string]any{
			"workflow_id": st.c.w.ID, "workflow_name": st.c.w.Name, "event": st.trigger,
			"reference": t.Reference, "subject": t.Subject, "message": a.str,
		},
	}, now)
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, " → ")
}
