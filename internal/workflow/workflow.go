// Package workflow runs workflows: admin-defined rules that act on a ticket when something
// happens to it (an event), never by time. Each change of a ticket hands its events to the
// package inside the change's transaction; for every event whose trigger some active
// workflow waits for, a durable job is enqueued with the change. The job evaluates the
// workflows of that trigger against the ticket and lets the matching ones act through the
// ticket service, as the system, each in one transaction with its entry in the run log.
//
// Changes a workflow makes carry the workflow's identity, so the events they cause never run
// that workflow again, and a chain of workflows setting each other off stops at MaxDepth.
package workflow

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/webhook"
)

// Workflow is a row of the workflows table.
type Workflow struct {
	bun.BaseModel `bun:"table:workflows,alias:w"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	Name        string     `bun:"name" json:"name"`
	Description string     `bun:"description" json:"description"`
	Trigger     string     `bun:"trigger_event" json:"trigger"`
	Conditions  Conditions `bun:"conditions,type:json" json:"conditions"`
	Actions     []Action   `bun:"actions" json:"actions"`
	IsActive    bool       `bun:"is_active" json:"is_active"`
	Position    int        `bun:"position" json:"position"`
	Version     int        `bun:"version" json:"-"`
	CreatedAt   time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at" json:"updated_at"`
}

// Input is a workflow to create, or the fields of one to change. On update a nil field is
// left as it is; Conditions and Actions, when set, replace the whole of them.
type Input struct {
	Name        *string
	Description *string
	Trigger     *string
	IsActive    *bool
	Position    *int
	Conditions  *Conditions
	Actions     *[]Action
}

// MacroSource gives the ticket changes of a macro, for apply_macro. The rules service is
// one.
type MacroSource interface {
	MacroOps(ctx context.Context, actor *auth.Actor, macroID int64) ([]ticket.Op, error)
}

// Webhooks sends the deliveries of send_webhook actions; the webhook service is one. Each
// delivery is one message to the action's URL, signed with the action's own secret, checked
// against the SSRF guard and its allow-list, and retried with backoff; the outcome of every
// attempt comes back to RecordWebhook.
type Webhooks interface {
	// CheckActionURL checks an action's URL when a workflow is saved: it returns the URL as
	// it is stored, or what is wrong with it; the error is for the desk failing.
	CheckActionURL(ctx context.Context, url string) (stored, problem string, err error)
	// CheckActionSecret returns what is wrong with a chosen secret, or "".
	CheckActionSecret(secret string) string
	// SealActionSecret seals an action's secret for its URL, for storing with the action.
	SealActionSecret(url, secret string) (string, error)
	// EnqueueActionTx enqueues a delivery in the run's transaction, so it is sent once the
	// run commits and never if it rolls back. An error rolls the run back and retries it.
	EnqueueActionTx(ctx context.Context, tx bun.Tx, d webhook.ActionDelivery) error
}

// Service manages workflows and runs them.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	tickets *ticket.Service
	macros  MacroSource
	jobs    *jobs.Jobs
	log     *slog.Logger

	// Snoozer returns the ticket change that snoozes a ticket until a time. While it is nil
	// (the desk cannot snooze yet) snooze_ticket is recorded in the run log as not available.
	// It and Webhooks are set while the desk is built, before its jobs run.
	Snoozer func(until time.Time) ticket.Op
	// Webhooks delivers send_webhook actions. While it is nil they are recorded in the run
	// log as not available, and their secrets are not kept when a workflow is saved.
	Webhooks Webhooks

	mu    sync.Mutex
	cache map[int64]*compiled // by workflow id; an entry is good for its version only

	// triggers holds the ids of the active workflows by trigger, so that a ticket change does
	// not query for them inside its transaction (enqueue). Every write invalidates it when it
	// ends, committed or not: on SQLite a ticket change sharing its transaction (db.InTx's
	// group commit) may have cached what it wrote before a failed commit undid it.
	triggers cache.Loaded[map[string][]int64]
}

// NewService returns the workflow service and wires it into the desk: tickets hands it every
// change's events in the change's transaction, and j works its jobs. Call it while the desk
// is built, before j starts.
func NewService(d *db.DB, c clock.Clock, tickets *ticket.Service, macros MacroSource, j *jobs.Jobs, log *slog.Logger) *Service {
	s := &Service{db: d, clock: c, tickets: tickets, macros: macros, jobs: j, log: log, cache: map[int64]*compiled{}}
	tickets.OnEventsTx(s.enqueue)
	jobs.AddWorker(j, &evaluateWorker{s: s})
	jobs.AddWorker(j, &resumeWorker{s: s})
	return s
}

// List returns every workflow in the order they run.
func (s *Service) List(ctx context.Context, actor *auth.Actor) ([]Workflow, error) {
	if !actor.Can("automation.view") {
		return nil, apperr.Forbidden("You may not view workflows.")
	}
	list := []Workflow{}
	if err := s.db.R.NewSelect().Model(&list).OrderExpr("position, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("workflow: list: %w", err)
	}
	return list, nil
}

// Get returns one workflow.
func (s *Service) Get(ctx context.Context, actor *auth.Actor, id int64) (*Workflow, error) {
	if !actor.Can("automation.view") {
		return nil, apperr.Forbidden("You may not view workflows.")
	}
	return load(ctx, s.db.R, id, "")
}

// Create adds a workflow. Name, trigger and actions are required; without conditions it
// acts on every event of its trigger. It is active unless told otherwise and, without a
// position, runs after the others.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in Input) (*Workflow, error) {
	if !actor.Can("automation.manage") {
		return nil, apperr.Forbidden("You may not manage workflows.")
	}
	now := s.clock.Now()
	w := &Workflow{IsActive: true, Version: 1, Conditions: Conditions{Match: "all", Rules: []Rule{}}, CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	for _, f := range []struct {
		name    string
		missing bool
	}{{"name", in.Name == nil}, {"trigger", in.Trigger == nil}, {"actions", in.Actions == nil}} {
		if f.missing {
			v.Addf(f.name, "The %s field is required.", f.name)
		}
	}
	var out *Workflow
	defer s.triggers.Invalidate()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := apply(ctx, tx, s.Webhooks, &v, w, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if in.Position == nil {
			if err := tx.NewRaw(`SELECT coalesce(max(position) + 1, 0) FROM workflows`).Scan(ctx, &w.Position); err != nil {
				return fmt.Errorf("workflow: next position: %w", err)
			}
		}
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			return fmt.Errorf("workflow: insert: %w", err)
		}
		if err := audit.Record(ctx, tx, actor, "workflow.created", "workflow", w.ID, nil, snapshotOf(w), now); err != nil {
			return err
		}
		var err error
		out, err = load(ctx, tx, w.ID, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. A change that changes nothing writes nothing.
// Runs already waiting out a delay go on with the actions they started with.
func (s *Service) Update(ctx context.Context, actor *auth.Actor, id int64, in Input) (*Workflow, error) {
	if !actor.Can("automation.manage") {
		return nil, apperr.Forbidden("You may not manage workflows.")
	}
	now := s.clock.Now()
	var out *Workflow
	defer s.triggers.Invalidate()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		old := snapshotOf(w)
		var v apperr.Validation
		if err := apply(ctx, tx, s.Webhooks, &v, w, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := diff(old, snapshotOf(w))
		if len(after) > 0 {
			w.UpdatedAt = now
			w.Version++
			if _, err := tx.NewUpdate().Model(w).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return fmt.Errorf("workflow: update: %w", err)
			}
			if err := audit.Record(ctx, tx, actor, "workflow.updated", "workflow", id, before, after, now); err != nil {
				return err
			}
		}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a workflow with its run log; runs waiting out a delay stop.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("automation.manage") {
		return apperr.Forbidden("You may not manage workflows.")
	}
	now := s.clock.Now()
	defer s.triggers.Invalidate()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM workflows WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("workflow: delete: %w", err)
		}
		return audit.Record(ctx, tx, actor, "workflow.deleted", "workflow", id, snapshotOf(w), nil, now)
	})
}

// Run is a workflow acting on an event: a row of the run log. Only workflows whose
// conditions held are logged (and those the loop guard stopped); see RunNotMatched.
type Run struct {
	bun.BaseModel `bun:"table:workflow_runs,alias:run"`

	ID         int64          `bun:"id,pk,autoincrement" json:"id"`
	WorkflowID int64          `bun:"workflow_id" json:"workflow_id"`
	TicketID   *int64         `bun:"ticket_id" json:"ticket_id"`
	Event      string         `bun:"event" json:"event"`
	Matched    bool           `bun:"matched" json:"matched"`
	Status     string         `bun:"status" json:"status"`
	Message    string         `bun:"message" json:"message"`
	Actions    []ActionResult `bun:"actions" json:"actions"`
	Depth      int            `bun:"depth" json:"depth"`
	JobID      *int64         `bun:"job_id" json:"-"`
	NextAction int            `bun:"next_action" json:"-"`
	StartedAt  time.Time      `bun:"started_at" json:"started_at"`
	FinishedAt *time.Time     `bun:"finished_at" json:"finished_at"`
	// TicketReference is the ticket's reference, for showing the log; empty once the ticket
	// is gone.
	TicketReference string `bun:"ticket_reference,scanonly" json:"ticket_reference"`
}

// Run statuses.
const (
	RunNotMatched = "not_matched" // the conditions did not hold: only in logs written before 2026-11-27
	RunCompleted  = "completed"   // every action was applied
	RunFailed     = "failed"      // an action failed or was refused (see its message)
	RunDelayed    = "delayed"     // waiting out a delay before the rest of its actions
	RunStopped    = "stopped"     // not run, or not finished (see the message)
)

// ActionResult is what one action of a run did.
type ActionResult struct {
	Index   int    `json:"index"`
	Type    string `json:"type"`
	Status  string `json:"status"` // applied, failed, skipped or waiting
	Message string `json:"message,omitempty"`
}

// LogFilter picks run-log entries: those of one workflow, or of all when WorkflowID is 0.
type LogFilter struct {
	WorkflowID    int64
	Page, PerPage int
}

// Logs returns one page of the run log, newest first, and the number of entries.
func (s *Service) Logs(ctx context.Context, actor *auth.Actor, f LogFilter) ([]Run, int, error) {
	if !actor.Can("automation.view") {
		return nil, 0, apperr.Forbidden("You may not view workflows.")
	}
	if f.WorkflowID != 0 {
		if _, err := load(ctx, s.db.R, f.WorkflowID, ""); err != nil {
			return nil, 0, err
		}
	}
	list := []Run{}
	q := s.db.R.NewSelect().Model(&list).
		ColumnExpr("run.*").ColumnExpr("coalesce(t.reference, '') AS ticket_reference").
		Join("LEFT JOIN tickets AS t ON t.id = run.ticket_id")
	if f.WorkflowID != 0 {
		q = q.Where("run.workflow_id = ?", f.WorkflowID)
	}
	total, err := q.OrderExpr("run.id DESC").Limit(int64(f.PerPage)).Offset(int64((f.Page - 1) * f.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("workflow: logs: %w", err)
	}
	return list, int(total), nil
}

// apply validates the fields in sets and copies them onto w. Validation problems go to v;
// the error is for the database failing.
func apply(ctx context.Context, tx bun.Tx, wh Webhooks, v *apperr.Validation, w *Workflow, in Input) error {
	if in.Name != nil {
		w.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", w.Name, true, maxName)
	}
	if in.Description != nil {
		w.Description = strings.TrimSpace(*in.Description)
		v.CheckText("description", w.Description, false, maxDescription)
	}
	if in.IsActive != nil {
		w.IsActive = *in.IsActive
	}
	if in.Position != nil {
		if *in.Position < 0 || *in.Position > maxPosition {
			v.Addf("position", "The position must be a whole number from 0 to %d.", maxPosition)
		}
		w.Position = *in.Position
	}
	p := newParser(v, true)
	if in.Trigger != nil {
		w.Trigger = *in.Trigger
		p.trigger(w.Trigger)
	}
	conds := w.Conditions
	if in.Conditions != nil {
		conds = *in.Conditions
	}
	// Stored conditions are checked again against a new trigger: reply_body, say, means
	// nothing on ticket.created.
	if in.Conditions != nil || in.Trigger != nil {
		p.conditions(conds, w.Trigger)
	}
	var hooks map[int]json.RawMessage
	if in.Actions != nil {
		p.actions(*in.Actions)
		var err error
		if hooks, err = webhookActions(ctx, wh, v, w.Actions, *in.Actions); err != nil {
			return err
		}
	}
	if err := p.verify(ctx, tx); err != nil {
		return err
	}
	if v.Err() != nil {
		return nil
	}
	if in.Conditions != nil {
		w.Conditions = normalizeConditions(conds)
	}
	if in.Actions != nil {
		w.Actions = make([]Action, len(*in.Actions))
		for i, a := range *in.Actions {
			w.Actions[i] = Action{Type: a.Type, Value: compact(a.Value)}
			if h, ok := hooks[i]; ok {
				w.Actions[i].Value = h
			}
		}
	}
	return nil
}

// webhookValue is the value of a send_webhook action: given with its secret in clear, saved
// with it sealed.
type webhookValue struct {
	URL          string  `json:"url"`
	Secret       *string `json:"secret,omitempty"`
	SealedSecret string  `json:"sealed_secret,omitempty"`
}

// webhookActions checks the URL and secret of each send_webhook action in list and returns,
// by index, the values to save: the URL as the SSRF guard accepts it and the secret sealed.
// An action given without a secret keeps the one saved for the same URL in old; one that
// has none is refused, since every delivery is signed. On a desk that cannot send webhooks
// (wh nil) the URL is kept as given and no secret is kept.
func webhookActions(ctx context.Context, wh Webhooks, v *apperr.Validation, old, list []Action) (map[int]json.RawMessage, error) {
	out := map[int]json.RawMessage{}
	for i, a := range list {
		var in webhookValue
		if a.Type != "send_webhook" || json.Unmarshal(a.Value, &in) != nil || in.URL == "" {
			continue
		}
		path := fmt.Sprintf("actions.%d.value", i)
		if v.Has(path) || v.Has(path+".url") || v.Has(path+".secret") {
			continue // the shape is wrong: said once already
		}
		if wh == nil {
			out[i], _ = json.Marshal(webhookValue{URL: in.URL})
			continue
		}
		url, problem, err := wh.CheckActionURL(ctx, in.URL)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			v.Add(path+".url", problem)
			continue
		}
		saved := webhookValue{URL: url}
		switch {
		case in.Secret != nil:
			if msg := wh.CheckActionSecret(*in.Secret); msg != "" {
				v.Add(path+".secret", msg)
				continue
			}
			sealed, err := wh.SealActionSecret(url, *in.Secret)
			var ae *apperr.Error
			if errors.As(err, &ae) {
				v.Add(path+".secret", ae.Message)
				continue
			}
			if err != nil {
				return nil, err
			}
			saved.SealedSecret = sealed
		default:
			for _, o := range old {
				var prev webhookValue
				if o.Type == "send_webhook" && json.Unmarshal(o.Value, &prev) == nil && prev.URL == url && prev.SealedSecret != "" {
					saved.SealedSecret = prev.SealedSecret
					break
				}
			}
			if saved.SealedSecret == "" {
				v.Add(path+".secret", "The secret field is required: every delivery is signed with it. Use 16 to 255 printable characters, or whsec_ and the base64 of 24 to 64 random bytes.")
				continue
			}
		}
		out[i], _ = json.Marshal(saved)
	}
	return out, nil
}

// MarshalJSON writes a workflow without the sealed secrets of its send_webhook actions:
// secrets are never shown after they are given.
func (w Workflow) MarshalJSON() ([]byte, error) {
	type plain Workflow
	p := plain(w)
	p.Actions = publicActions(w.Actions)
	return json.Marshal(p)
}

// publicActions returns the actions with the send_webhook secrets left out.
func publicActions(list []Action) []Action {
	out := slices.Clone(list)
	for i, a := range out {
		var wv webhookValue
		if a.Type == "send_webhook" && json.Unmarshal(a.Value, &wv) == nil && wv.SealedSecret != "" {
			out[i].Value, _ = json.Marshal(webhookValue{URL: wv.URL})
		}
	}
	return out
}

// webhookSecrets lists the sealed secrets of a workflow's send_webhook actions, so that a
// new secret counts as a change (the audit log redacts it).
func webhookSecrets(list []Action) []string {
	var out []string
	for _, a := range list {
		var wv webhookValue
		if a.Type == "send_webhook" && json.Unmarshal(a.Value, &wv) == nil && wv.SealedSecret != "" {
			out = append(out, wv.SealedSecret)
		}
	}
	return out
}

// normalizeConditions stores conditions in one shape: match spelled out, compact values.
func normalizeConditions(c Conditions) Conditions {
	out := Conditions{Match: c.Match, Rules: make([]Rule, len(c.Rules))}
	if out.Match == "" {
		out.Match = "all"
	}
	for i, r := range c.Rules {
		out.Rules[i] = Rule{Field: r.Field, Operator: r.Operator, Value: compact(r.Value)}
	}
	return out
}

// load reads one workflow, with lock appended to the query to lock its row.
func load(ctx context.Context, idb bun.IDB, id int64, lock string) (*Workflow, error) {
	var w Workflow
	err := idb.NewRaw(`SELECT * FROM workflows WHERE id = ?`+lock, id).Scan(ctx, &w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Workflow")
	}
	if err != nil {
		return nil, fmt.Errorf("workflow: load %d: %w", id, err)
	}
	return &w, nil
}

func snapshotOf(w *Workflow) map[string]any {
	m := map[string]any{
		"name": w.Name, "description": w.Description, "trigger": w.Trigger, "is_active": w.IsActive,
		"position": w.Position, "conditions": w.Conditions, "actions": publicActions(w.Actions),
	}
	if secrets := webhookSecrets(w.Actions); len(secrets) > 0 {
		m["webhook_secrets"] = secrets
	}
	return m
}

// diff keeps the keys whose values differ between old and new, compared as JSON shows them.
func diff(old, new map[string]any) (map[string]any, map[string]any) {
	before, after := map[string]any{}, map[string]any{}
	for k, nv := range new {
		if jsonOf(old[k]) != jsonOf(nv) {
			before[k], after[k] = old[k], nv
		}
	}
	return before, after
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
