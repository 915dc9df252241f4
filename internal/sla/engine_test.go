package sla_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// desk is the SLA engine wired as escalated.New wires it: a ticket service that keeps due
// dates through the engine, the policy service and the sweeper, on one database with a fake
// clock, recording the events the ticket service publishes.
type desk struct {
	*env
	t        *testing.T
	ctx      context.Context
	tickets  *ticket.Service
	policies *sla.Policies
	sweeper  *sla.Sweeper
	events   *recorder
	agent    *auth.Actor
	customer *auth.Actor
}

// nineToFive is the desk's default business hours in these tests: 09:00–17:00 UTC on weekdays.
func nineToFive(t testing.TB) *bizhours.Schedule {
	t.Helper()
	var week []bizhours.Interval
	for day := 1; day <= 5; day++ {
		week = append(week, bizhours.Interval{Day: day, Start: "09:00", End: "17:00"})
	}
	s, err := bizhours.New("UTC", week, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eachDesk(t *testing.T, fn func(t *testing.T, d *desk)) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		rec := &recorder{}
		bus := event.NewBus(log)
		bus.Subscribe(rec.record)
		engine := sla.NewEngine(nineToFive(t))
		tickets := ticket.NewService(e.db, e.clock, bus, settings.NewStore(e.db, e.clock, settings.Defaults()),
			ticket.WithSLA(engine))
		d := &desk{
			env: e, t: t, ctx: context.Background(), tickets: tickets, events: rec,
			policies: sla.NewPolicies(e.db, e.clock, false),
			sweeper:  sla.NewSweeper(e.db, e.clock, tickets, log),
		}
		d.policies.Changed = engine.Invalidate
		e.svc.Changed = engine.Invalidate
		d.agent, d.customer = e.actor(t, "agent"), e.actor(t, "customer")
		fn(t, d)
	})
}

// standardHours are the targets of the brief: 24, 8, 4, 1 and a quarter of an hour.
func standardHours() map[string]float64 {
	return map[string]float64{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25}
}

// policy creates a default policy; change adjusts the input first.
func (d *desk) policy(change func(in *sla.PolicyInput)) *sla.Policy {
	d.t.Helper()
	resolution := map[string]float64{"low": 72, "medium": 24, "high": 12, "urgent": 4, "critical": 2}
	in := sla.PolicyInput{
		Name: ptr("Standard"), FirstResponseHours: ptr(standardHours()), ResolutionHours: &resolution,
		IsDefault: ptr(true),
	}
	if change != nil {
		change(&in)
	}
	p, err := d.policies.Create(d.ctx, d.admin, in)
	if err != nil {
		d.t.Fatalf("create policy: %v", err)
	}
	return p
}

// open has the agent open a ticket of the given priority for the customer.
func (d *desk) open(priority string, department *int64) *ticket.Ticket {
	d.t.Helper()
	tk, err := d.tickets.Create(d.ctx, d.agent, ticket.CreateInput{
		Subject: "Help (" + priority + ")", Description: "Please", Priority: priority,
		RequesterID: &d.customer.UserID, DepartmentID: department,
	})
	if err != nil {
		d.t.Fatalf("create ticket: %v", err)
	}
	return tk
}

// get reads the ticket as stored.
func (d *desk) get(id int64) ticket.Ticket {
	d.t.Helper()
	got, err := d.tickets.Get(d.ctx, d.admin, id)
	if err != nil {
		d.t.Fatalf("get ticket %d: %v", id, err)
	}
	return got.Ticket
}

func (d *desk) status(id int64, to string) {
	d.t.Helper()
	if _, err := d.tickets.ChangeStatus(d.ctx, d.agent, id, to); err != nil {
		d.t.Fatalf("status %s: %v", to, err)
	}
}

func (d *desk) reply(actor *auth.Actor, id int64) {
	d.t.Helper()
	if _, err := d.tickets.Reply(d.ctx, actor, id, ticket.ReplyInput{Body: "Hello"}); err != nil {
		d.t.Fatalf("reply: %v", err)
	}
}

func (d *desk) sweep() sla.SweepResult {
	d.t.Helper()
	res, err := d.sweeper.Sweep(d.ctx)
	if err != nil {
		d.t.Fatalf("sweep: %v", err)
	}
	return res
}

func (d *desk) department(name string) int64 {
	d.t.Helper()
	var id int64
	now := d.clock.Now()
	if err := d.db.W.NewRaw(`INSERT INTO departments (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
		name, name, now, now).Scan(d.ctx, &id); err != nil {
		d.t.Fatal(err)
	}
	return id
}

// wantDue fails unless the ticket's due dates are the given times (nil for none).
func wantDue(t *testing.T, tk ticket.Ticket, firstResponse, resolution *time.Time) {
	t.Helper()
	same := func(a, b *time.Time) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return a.Equal(*b)
	}
	if !same(tk.FirstResponseDueAt, firstResponse) || !same(tk.ResolutionDueAt, resolution) {
		t.Fatalf("ticket %d (%s) due first response %v, resolution %v; want %v, %v",
			tk.ID, tk.Priority, show(tk.FirstResponseDueAt), show(tk.ResolutionDueAt), show(firstResponse), show(resolution))
	}
}

func show(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func after(d time.Duration) *time.Time {
	t := start.Add(d)
	return &t
}

// recorder keeps the events the bus published.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) record(_ context.Context, e event.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// named returns the events of one name published for a ticket, in order.
func (r *recorder) named(ticketID int64, name string) []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event.Event
	for _, e := range r.events {
		if e.Ticket.ID == ticketID && e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func TestDueDatesForEachPriorityInCalendarTime(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		p := d.policy(nil)
		for _, c := range []struct {
			priority                  string
			firstResponse, resolution time.Duration
		}{
			{"low", 24 * time.Hour, 72 * time.Hour},
			{"medium", 8 * time.Hour, 24 * time.Hour},
			{"high", 4 * time.Hour, 12 * time.Hour},
			{"urgent", time.Hour, 4 * time.Hour},
			{"critical", 15 * time.Minute, 2 * time.Hour},
		} {
			tk := d.get(d.open(c.priority, nil).ID)
			if tk.SlaPolicyID == nil || *tk.SlaPolicyID != p.ID || tk.SlaPausedAt != nil {
				t.Fatalf("%s ticket: policy %v, paused %v", c.priority, tk.SlaPolicyID, tk.SlaPausedAt)
			}
			wantDue(t, tk, after(c.firstResponse), after(c.resolution))
		}
	})
}

// TestDueDatesForEachPriorityInBusinessTime counts in the desk's default hours, 09:00–17:00
// UTC on weekdays, from Monday 2 March 2026 at 10:00.
func TestDueDatesForEachPriorityInBusinessTime(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(func(in *sla.PolicyInput) { in.BusinessHoursOnly = ptr(true) })
		for _, c := range []struct {
			priority                  string
			firstResponse, resolution string
		}{
			// 24 h: 7 on Monday, 8 on Tuesday and Wednesday, 1 on Thursday. 72 h: nine days.
			{"low", "2026-03-05T10:00:00Z", "2026-03-13T10:00:00Z"},
			{"medium", "2026-03-03T10:00:00Z", "2026-03-05T10:00:00Z"},
			{"high", "2026-03-02T14:00:00Z", "2026-03-03T14:00:00Z"},
			{"urgent", "2026-03-02T11:00:00Z", "2026-03-02T14:00:00Z"},
			{"critical", "2026-03-02T10:15:00Z", "2026-03-02T12:00:00Z"},
		} {
			wantDue(t, d.get(d.open(c.priority, nil).ID), at(c.firstResponse), at(c.resolution))
		}
		// Opened on Friday evening, the clock starts on Monday morning.
		d.clock.Set(*at("2026-03-06T18:30:00Z"))
		wantDue(t, d.get(d.open("urgent", nil).ID), at("2026-03-09T10:00:00Z"), at("2026-03-09T13:00:00Z"))
	})
}

// newYorkOffice is a stored schedule for New York, 09:00–17:00 on weekdays, whose clocks
// spring forward on Sunday 8 March 2026, with a holiday on Tuesday 10 March.
func (d *desk) newYorkOffice() int64 {
	d.t.Helper()
	var week []bizhours.Interval
	for day := 1; day <= 5; day++ {
		week = append(week, bizhours.Interval{Day: day, Start: "09:00", End: "17:00"})
	}
	b, err := d.svc.Create(d.ctx, d.admin, sla.ScheduleInput{
		Name: ptr("New York"), Timezone: ptr("America/New_York"), Schedule: &week,
		Holidays: &[]sla.HolidayInput{{Date: "2026-03-10", Name: "Office party"}},
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return b.ID
}

// TestBusinessHoursAcrossDaylightSavingAndHolidays: New York moves from UTC-5 to UTC-4 over
// the weekend of 8 March 2026; the office keeps its local hours, and the holiday on Tuesday
// counts for nothing.
func TestBusinessHoursAcrossDaylightSavingAndHolidays(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		office := d.newYorkOffice()
		d.policy(func(in *sla.PolicyInput) {
			in.BusinessHoursOnly = ptr(true)
			in.BusinessScheduleID = sla.NullableID{Set: true, ID: &office}
		})
		// Friday 6 March, 16:00 EST (21:00 UTC).
		d.clock.Set(*at("2026-03-06T21:00:00Z"))
		tk := d.open("high", nil)
		// First response, 4 h: one on Friday, three on Monday to 12:00 EDT (16:00 UTC).
		// Resolution, 12 h: one on Friday, eight on Monday, Tuesday off, three on Wednesday
		// to 12:00 EDT.
		wantDue(t, d.get(tk.ID), at("2026-03-09T16:00:00Z"), at("2026-03-11T16:00:00Z"))

		// Waiting on the customer from Friday 16:30 EST to Monday 10:00 EDT stops the clock
		// for the half hour on Friday and the hour on Monday: both due dates move 1.5 h of
		// office time on.
		d.clock.Set(*at("2026-03-06T21:30:00Z"))
		d.status(tk.ID, ticket.StatusWaitingOnCustomer)
		if got := d.get(tk.ID); got.SlaPausedAt == nil || !got.SlaPausedAt.Equal(*at("2026-03-06T21:30:00Z")) {
			t.Fatalf("paused at %v", show(got.SlaPausedAt))
		}
		d.clock.Set(*at("2026-03-09T14:00:00Z"))
		d.reply(d.customer, tk.ID)
		got := d.get(tk.ID)
		if got.Status != ticket.StatusWaitingOnAgent || got.SlaPausedAt != nil {
			t.Fatalf("after the customer's reply: %s, paused %v", got.Status, show(got.SlaPausedAt))
		}
		wantDue(t, got, at("2026-03-09T17:30:00Z"), at("2026-03-11T17:30:00Z"))
	})
}

func TestPriorityAndDepartmentChangesRecomputeDueDates(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		standard := d.policy(nil)
		vip := d.department("VIP")
		fast, err := d.policies.Create(d.ctx, d.admin, sla.PolicyInput{
			Name:               ptr("VIP"),
			FirstResponseHours: ptr(map[string]float64{"low": 2, "medium": 1, "high": 0.5, "urgent": 0.25, "critical": 0.1}),
			ResolutionHours:    ptr(map[string]float64{"low": 8, "medium": 4, "high": 2, "urgent": 1, "critical": 0.5}),
			DepartmentIDs:      &[]int64{vip},
		})
		if err != nil {
			t.Fatal(err)
		}
		tk := d.open("medium", nil)
		d.clock.Advance(30 * time.Minute)
		if _, err := d.tickets.ChangePriority(d.ctx, d.agent, tk.ID, "urgent"); err != nil {
			t.Fatal(err)
		}
		// Counted from creation, not from the change.
		wantDue(t, d.get(tk.ID), after(time.Hour), after(4*time.Hour))

		if _, err := d.tickets.ChangeDepartment(d.ctx, d.agent, tk.ID, &vip); err != nil {
			t.Fatal(err)
		}
		got := d.get(tk.ID)
		if *got.SlaPolicyID != fast.ID {
			t.Fatalf("policy %d after moving to VIP, want %d", *got.SlaPolicyID, fast.ID)
		}
		wantDue(t, got, after(15*time.Minute), after(time.Hour))

		// A department without a policy of its own falls back to the default.
		if _, err := d.tickets.ChangeDepartment(d.ctx, d.agent, tk.ID, nil); err != nil {
			t.Fatal(err)
		}
		got = d.get(tk.ID)
		if *got.SlaPolicyID != standard.ID {
			t.Fatalf("policy %d after leaving VIP, want %d", *got.SlaPolicyID, standard.ID)
		}
		wantDue(t, got, after(time.Hour), after(4*time.Hour))

		// A new ticket in the department gets its policy at once.
		if got := d.get(d.open("low", &vip).ID); *got.SlaPolicyID != fast.ID {
			t.Fatalf("new VIP ticket has policy %d", *got.SlaPolicyID)
		}
	})
}

func TestWaitingOnTheCustomerPausesTheClock(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(nil)
		tk := d.open("medium", nil) // 8 h first response, 24 h resolution
		d.clock.Advance(time.Hour)
		d.status(tk.ID, ticket.StatusWaitingOnCustomer)
		paused := d.get(tk.ID)
		if paused.SlaPausedAt == nil || !paused.SlaPausedAt.Equal(*after(time.Hour)) {
			t.Fatalf("paused at %v", show(paused.SlaPausedAt))
		}
		wantDue(t, paused, after(8*time.Hour), after(24*time.Hour))

		// Paused past both due dates: nothing breaches.
		d.clock.Advance(30 * time.Hour)
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("a paused ticket was swept: %+v", res)
		}
		// The customer's reply restarts the clock with the 7 h and 23 h that were left.
		d.reply(d.customer, tk.ID)
		wantDue(t, d.get(tk.ID), after(38*time.Hour), after(54*time.Hour))
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("swept right after the restart: %+v", res)
		}

		// A policy that does not pause on waiting keeps the clock running.
		d.clock.Set(start)
		d.policy(func(in *sla.PolicyInput) { in.Name, in.PauseOnWaiting = ptr("Relentless"), ptr(false) })
		other := d.open("medium", nil)
		d.status(other.ID, ticket.StatusWaitingOnCustomer)
		if got := d.get(other.ID); got.SlaPausedAt != nil {
			t.Fatal("the clock stopped under a policy that does not pause on waiting")
		}
	})
}

func TestSnoozePausesTheClockUntilItsEnd(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(nil)
		tk := d.open("urgent", nil) // 1 h first response, 4 h resolution
		d.clock.Advance(30 * time.Minute)
		if _, err := d.tickets.Snooze(d.ctx, d.agent, tk.ID, ticket.SnoozeInput{DurationMinutes: ptr(120)}); err != nil {
			t.Fatal(err)
		}
		got := d.get(tk.ID)
		if got.Status != ticket.StatusOpen || got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(*after(150 * time.Minute)) || got.SlaPausedAt == nil {
			t.Fatalf("snoozed ticket: status %s, until %v, paused %v", got.Status, show(got.SnoozedUntil), show(got.SlaPausedAt))
		}
		// Its due dates pass while it sleeps: no breach.
		d.clock.Advance(2 * time.Hour)
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("a snoozed ticket was swept: %+v", res)
		}
		// The wake-up comes late (the desk was down); the snooze still ended on time, so the
		// clock was stopped for exactly its 2 h.
		d.clock.Advance(40 * time.Minute)
		if n, err := d.tickets.WakeDue(d.ctx); err != nil || n != 1 {
			t.Fatalf("woke %d, %v", n, err)
		}
		got = d.get(tk.ID)
		if got.SnoozedUntil != nil || got.SlaPausedAt != nil {
			t.Fatalf("after wake-up: until %v, paused %v", show(got.SnoozedUntil), show(got.SlaPausedAt))
		}
		wantDue(t, got, after(3*time.Hour), after(6*time.Hour))
		if got.SlaFirstResponseBreached || got.SlaResolutionBreached {
			t.Fatal("breached while snoozed")
		}
		// 3h10 after creation: the first response is 10 minutes late.
		if res := d.sweep(); res.Breaches != 1 || res.Warnings != 0 {
			t.Fatalf("sweep after wake-up %+v, want the first-response breach", res)
		}
	})
}

func TestResolvingStopsTheClockAndReopeningKeepsWhatWasLeft(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(nil)
		tk := d.open("high", nil) // 4 h first response, 12 h resolution
		d.clock.Advance(time.Hour)
		d.reply(d.agent, tk.ID) // first response met
		d.clock.Advance(2 * time.Hour)
		d.status(tk.ID, ticket.StatusResolved)
		resolved := d.get(tk.ID)
		if resolved.SlaPausedAt == nil {
			t.Fatal("resolving did not stop the clock")
		}
		d.clock.Advance(48 * time.Hour)
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("a resolved ticket was swept: %+v", res)
		}
		d.reply(d.customer, tk.ID) // reopens it, with the 9 h that were left
		got := d.get(tk.ID)
		if got.Status != ticket.StatusReopened || got.SlaPausedAt != nil {
			t.Fatalf("after the customer's reply: %s, paused %v", got.Status, show(got.SlaPausedAt))
		}
		// The met first response keeps its due date; resolution is 51 h + 9 h after creation.
		wantDue(t, got, after(4*time.Hour), after(60*time.Hour))
		d.clock.Advance(9 * time.Hour)
		if res := d.sweep(); res.Breaches != 1 {
			t.Fatalf("sweep at the new due date %+v, want one breach", res)
		}
		if got := d.get(tk.ID); got.SlaFirstResponseBreached || !got.SlaResolutionBreached {
			t.Fatalf("breached first response %v, resolution %v", got.SlaFirstResponseBreached, got.SlaResolutionBreached)
		}
	})
}

// TestWarningThenBreachFireOnce: each fires once per target, however many sweeps run.
func TestWarningThenBreachFireOnce(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(func(in *sla.PolicyInput) { in.WarningMinutes = ptr(20) })
		tk := d.open("urgent", nil) // 1 h first response, 4 h resolution
		d.clock.Advance(39 * time.Minute)
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("swept before the window: %+v", res)
		}
		d.clock.Advance(90 * time.Second) // 19.5 minutes left
		for i := range 2 {
			want := sla.SweepResult{Warnings: 1}
			if i == 1 {
				want = sla.SweepResult{}
			}
			if res := d.sweep(); res != want {
				t.Fatalf("sweep %d in the window: %+v, want %+v", i, res, want)
			}
		}
		warnings := d.events.named(tk.ID, event.SlaWarning)
		if len(warnings) != 1 || warnings[0].Data["type"] != "first_response" || warnings[0].Data["minutes_left"] != 20 {
			t.Fatalf("warnings %+v", warnings)
		}
		d.clock.Advance(20 * time.Minute) // 30 s late
		for i := range 2 {
			want := sla.SweepResult{Breaches: 1}
			if i == 1 {
				want = sla.SweepResult{}
			}
			if res := d.sweep(); res != want {
				t.Fatalf("sweep %d past due: %+v, want %+v", i, res, want)
			}
		}
		breaches := d.events.named(tk.ID, event.SlaBreached)
		if len(breaches) != 1 || breaches[0].Data["type"] != "first_response" || breaches[0].ActorID != nil {
			t.Fatalf("breaches %+v", breaches)
		}
		var props []string
		if err := d.db.R.NewRaw(`SELECT properties FROM ticket_activities WHERE ticket_id = ? AND type = 'sla_breached'`, tk.ID).
			Scan(d.ctx, &props); err != nil {
			t.Fatal(err)
		}
		if len(props) != 1 || props[0] != `{"type":"first_response"}` && props[0] != `{"type": "first_response"}` {
			t.Fatalf("sla_breached activities %q", props)
		}
		if got := d.get(tk.ID); !got.SlaFirstResponseBreached || got.SlaResolutionBreached {
			t.Fatalf("flags after the first-response breach: %v %v", got.SlaFirstResponseBreached, got.SlaResolutionBreached)
		}

		// The resolution target, 4 h, warns and breaches on its own.
		d.clock.Set(start.Add(4*time.Hour - 10*time.Minute))
		if res := d.sweep(); res != (sla.SweepResult{Warnings: 1}) {
			t.Fatalf("resolution window: %+v", res)
		}
		d.clock.Set(start.Add(4 * time.Hour))
		if res := d.sweep(); res != (sla.SweepResult{Breaches: 1}) {
			t.Fatalf("resolution due: %+v", res)
		}
		if len(d.events.named(tk.ID, event.SlaBreached)) != 2 || len(d.events.named(tk.ID, event.SlaWarning)) != 2 {
			t.Fatal("each target should have one warning and one breach")
		}
		var actions []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? AND actor_id IS NULL ORDER BY id`, tk.ID).
			Scan(d.ctx, &actions); err != nil {
			t.Fatal(err)
		}
		if want := []string{"ticket.sla_warning", "ticket.sla_breached", "ticket.sla_warning", "ticket.sla_breached"}; !slices.Equal(actions, want) {
			t.Fatalf("audit entries by the system %v, want %v", actions, want)
		}
	})
}

// TestConcurrentSweepsFireOnce: two sweeps at once over the same due tickets fire each breach
// once between them.
func TestConcurrentSweepsFireOnce(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(nil)
		const n = 30
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = d.open("critical", nil).ID
		}
		d.clock.Advance(3 * time.Hour) // both targets of every ticket are due
		results := make(chan sla.SweepResult, 2)
		errs := make(chan error, 2)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := d.sweeper.Sweep(d.ctx)
				results <- res
				errs <- err
			}()
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		total := 0
		for res := range results {
			total += res.Breaches
		}
		if total != 2*n {
			t.Fatalf("%d breaches between the two sweeps, want %d", total, 2*n)
		}
		for _, id := range ids {
			if got := len(d.events.named(id, event.SlaBreached)); got != 2 {
				t.Fatalf("ticket %d: %d SlaBreached events, want 2", id, got)
			}
		}
		var activities int
		if err := d.db.R.NewRaw(`SELECT count(*) FROM ticket_activities WHERE type = 'sla_breached'`).Scan(d.ctx, &activities); err != nil {
			t.Fatal(err)
		}
		if activities != 2*n {
			t.Fatalf("%d sla_breached activities, want %d", activities, 2*n)
		}
	})
}

func TestFirstResponseMetStopsItsTarget(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		d.policy(nil)
		tk := d.open("urgent", nil)
		d.clock.Advance(10 * time.Minute)
		// A note and the customer's own reply are not a first response.
		if _, err := d.tickets.Reply(d.ctx, d.agent, tk.ID, ticket.ReplyInput{Body: "Looking", IsInternalNote: true}); err != nil {
			t.Fatal(err)
		}
		d.reply(d.customer, tk.ID)
		if got := d.get(tk.ID); got.FirstResponseAt != nil {
			t.Fatal("a note or the customer's reply counted as the first response")
		}
		d.reply(d.agent, tk.ID)
		// Past the 1 h first response, 20 minutes before the 4 h resolution.
		d.clock.Advance(3*time.Hour + 30*time.Minute)
		if res := d.sweep(); res != (sla.SweepResult{Warnings: 1}) {
			t.Fatalf("sweep %+v, want only the resolution warning", res)
		}
		if got := d.get(tk.ID); got.SlaFirstResponseBreached {
			t.Fatal("a met first response breached")
		}
	})
}

// TestTicketsWithoutAPolicyHaveNoDueDates: no active policy, no SLA; a deleted policy takes
// its tickets out of the sweep.
func TestTicketsWithoutAPolicyHaveNoDueDates(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		// An inactive policy is attached to nothing, default or not.
		d.policy(func(in *sla.PolicyInput) { in.Name, in.IsActive = ptr("Retired"), ptr(false) })
		bare := d.get(d.open("urgent", nil).ID)
		if bare.SlaPolicyID != nil || bare.FirstResponseDueAt != nil || bare.ResolutionDueAt != nil {
			t.Fatalf("ticket without a policy: %+v", bare)
		}
		p := d.policy(nil)
		tk := d.open("urgent", nil)
		if err := d.policies.Delete(d.ctx, d.admin, p.ID); err != nil {
			t.Fatal(err)
		}
		got := d.get(tk.ID)
		if got.SlaPolicyID != nil || got.FirstResponseDueAt == nil {
			t.Fatalf("after deleting its policy: policy %v, due %v", got.SlaPolicyID, show(got.FirstResponseDueAt))
		}
		d.clock.Advance(10 * time.Hour)
		if res := d.sweep(); res != (sla.SweepResult{}) {
			t.Fatalf("swept a ticket without a policy: %+v", res)
		}
	})
}
