package ticket_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// references lists the references of a page of tickets.
func references(p *ticket.Page[ticket.Summary]) []string {
	out := []string{}
	for _, s := range p.Items {
		out = append(out, s.Reference)
	}
	return out
}

func TestSearchThroughTheIndex(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		printer := e.open(customer, "Printer on fire")
		e.open(customer, "Invoice is wrong")
		quoted := e.open(customer, `Says "hello" at 100% volume_level`)
		accent := e.open(customer, "Ünïcode Größe")
		search := func(term string) []string {
			t.Helper()
			p, err := e.svc.List(e.ctx, agent, ticket.Filter{Search: term, Sort: "subject"})
			if err != nil {
				t.Fatalf("search %q: %v", term, err)
			}
			if p.Total != len(p.Items) {
				t.Fatalf("search %q: total %d for %d items", term, p.Total, len(p.Items))
			}
			return subjects(p)
		}
		// On SQLite new tickets are matched directly until IndexSearch adds them to the index;
		// both ways find the same tickets.
		for _, phase := range []string{"not yet indexed", "indexed"} {
			if phase == "indexed" {
				if _, err := e.svc.IndexSearch(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			for term, want := range map[string][]string{
				"rint":             {"Printer on fire"},  // a substring inside a word
				"PRINTER ON":       {"Printer on fire"},  // case, and across a space
				"on fire":          {"Printer on fire"},  // the end
				"fire on":          {},                   // words out of order are not a substring
				"is wrong":         {"Invoice is wrong"}, //
				printer.Reference:  {"Printer on fire"},  // the whole reference
				`"hello"`:          {quoted.Subject},     // quotes are text, not query syntax
				"100%":             {quoted.Subject},     // LIKE's wildcards are text too
				"e_l":              {quoted.Subject},     //
				"0%":               {quoted.Subject},     // shorter than a trigram: read, not indexed
				"ö":                {"Ünïcode Größe"},    //
				"GRÖSSE":           {},                   // no case folding into two letters
				"größe":            {accent.Subject},     //
				"xyz":              {},                   //
				"Printer on fire!": {},                   //
			} {
				if got := search(term); !slices.Equal(got, want) {
					t.Errorf("%s: search %q = %v, want %v", phase, term, got, want)
				}
			}
			// A part of a reference finds every ticket whose reference holds it.
			if got := search(printer.Reference[:len(printer.Reference)-1]); !slices.Contains(got, "Printer on fire") {
				t.Errorf("%s: search for a reference's prefix = %v", phase, got)
			}
		}

		// The index follows the tickets table: a deleted ticket is gone from it.
		if err := e.svc.Delete(e.ctx, e.user("admin"), printer.ID); err != nil {
			t.Fatal(err)
		}
		if got := search("printer"); len(got) != 0 {
			t.Errorf("search after delete = %v", got)
		}
		// And so is a changed subject (no service changes a subject yet: SQL stands in).
		if _, err := e.db.W.NewRaw(`UPDATE tickets SET subject = 'Scanner jams' WHERE id = ?`, accent.ID).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := search("größe"); len(got) != 0 {
			t.Errorf("old subject still found: %v", got)
		}
		if got := search("scanner"); !slices.Equal(got, []string{"Scanner jams"}) {
			t.Errorf("new subject = %v", got)
		}
	})
}

// TestSearchIndexCatchesUp: IndexSearch adds new tickets in batches, as they are when it
// runs; each ticket is found once whether indexed or not, and a search's total (counted
// apart when the search is the only filter) counts both.
func TestSearchIndexCatchesUp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ticket.SetSearchBatch(t, 2)
		agent, customer := e.user("agent"), e.user("customer")
		var lamps []*ticket.Ticket
		for i := range 5 {
			lamps = append(lamps, e.open(customer, fmt.Sprintf("Desk lamp %d flickers", i)))
		}
		// Changed and deleted before they were ever indexed.
		if _, err := e.db.W.NewRaw(`UPDATE tickets SET subject = 'Desk fan rattles' WHERE id = ?`, lamps[1].ID).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, e.user("admin"), lamps[2].ID); err != nil {
			t.Fatal(err)
		}
		check := func(when string, term string, total int, with ...ticket.Filter) {
			t.Helper()
			f := ticket.Filter{Search: term}
			if len(with) > 0 {
				f = with[0]
				f.Search = term
			}
			p, err := e.svc.List(e.ctx, agent, f)
			if err != nil || p.Total != total || len(p.Items) != total {
				t.Fatalf("%s: search %q (%+v): total %d, %d items (%v), want %d", when, term, f, p.Total, len(p.Items), err, total)
			}
		}
		open := ticket.Filter{Statuses: []string{"open"}}
		for _, when := range []string{"before indexing", "after indexing"} {
			check(when, "desk lamp", 3)
			check(when, "desk lamp", 3, open)
			check(when, "fan rattles", 1)
			check(when, "lamp 1", 0)
			check(when, "lamp 2", 0)
			if when == "before indexing" {
				n, err := e.svc.IndexSearch(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[db.Dialect]int{db.SQLite: 4, db.Postgres: 0}[e.db.Dialect]; n != want {
					t.Fatalf("indexed %d tickets in batches of 2, want %d", n, want)
				}
			}
		}
		if n, err := e.svc.IndexSearch(e.ctx); err != nil || n != 0 {
			t.Fatalf("indexing again: %d, %v", n, err)
		}
		// One more, not yet indexed, next to the indexed ones.
		e.open(customer, "Desk lamp 5 flickers")
		check("one new", "desk lamp", 4)
		check("one new", "desk lamp", 4, open)
	})
}

func TestSortByPriority(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		var want []string // by rank, then id, both descending
		for _, p := range []string{"medium", "critical", "low", "urgent", "high", "critical", "low"} {
			tk := e.open(customer, p)
			if _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, p); err != nil && p != "medium" {
				t.Fatal(err)
			}
			want = append(want, tk.Reference)
		}
		rank := map[string]int{"low": 0, "medium": 1, "high": 2, "urgent": 3, "critical": 4}
		prio := []string{"medium", "critical", "low", "urgent", "high", "critical", "low"}
		idx := []int{0, 1, 2, 3, 4, 5, 6}
		slices.SortStableFunc(idx, func(a, b int) int {
			if rank[prio[a]] != rank[prio[b]] {
				return rank[prio[b]] - rank[prio[a]]
			}
			return b - a
		})
		desc := make([]string, len(idx))
		for i, j := range idx {
			desc[i] = want[j]
		}
		p, err := e.svc.List(e.ctx, agent, ticket.Filter{Sort: "priority", Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := references(p); !slices.Equal(got, desc) {
			t.Fatalf("priority descending %v, want %v", got, desc)
		}
		p, err = e.svc.List(e.ctx, agent, ticket.Filter{Sort: "priority"})
		if err != nil {
			t.Fatal(err)
		}
		asc := slices.Clone(desc)
		slices.Reverse(asc)
		if got := references(p); !slices.Equal(got, asc) {
			t.Fatalf("priority ascending %v, want %v", got, asc)
		}
		// Pages follow the same order.
		p, err = e.svc.List(e.ctx, agent, ticket.Filter{Sort: "priority", Desc: true, PerPage: 3, Page: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := references(p); !slices.Equal(got, desc[3:6]) || p.Total != 7 {
			t.Fatalf("page 2 %v (total %d), want %v", got, p.Total, desc[3:6])
		}
	})
}

// countFilters are the filters whose totals come from ticket_counts, with the same condition
// in SQL to count the tickets table against.
func countFilters(agents []*auth.Actor, depts []int64) map[string]struct {
	f     ticket.Filter
	where string
	args  []any
} {
	out := map[string]struct {
		f     ticket.Filter
		where string
		args  []any
	}{
		"all":                         {ticket.Filter{}, "TRUE", nil},
		"open only":                   {ticket.Filter{OpenOnly: true}, "is_open = TRUE", nil},
		"status=open":                 {ticket.Filter{Statuses: []string{"open"}}, "status = 'open'", nil},
		"status=closed":               {ticket.Filter{Statuses: []string{"closed"}}, "status = 'closed'", nil},
		"status=in_progress,resolved": {ticket.Filter{Statuses: []string{"in_progress", "resolved"}}, "status IN ('in_progress', 'resolved')", nil},
		"priority=high":               {ticket.Filter{Priorities: []string{"high"}}, "priority = 'high'", nil},
		"priority=low&open":           {ticket.Filter{Priorities: []string{"low"}, OpenOnly: true}, "priority = 'low' AND is_open = TRUE", nil},
		"unassigned":                  {ticket.Filter{Unassigned: true}, "assigned_to IS NULL", nil},
		"unassigned&closed":           {ticket.Filter{Unassigned: true, Statuses: []string{"closed"}}, "assigned_to IS NULL AND status = 'closed'", nil},
	}
	for i, a := range agents {
		id := a.UserID
		out[fmt.Sprintf("assigned_to=%d", i)] = struct {
			f     ticket.Filter
			where string
			args  []any
		}{ticket.Filter{AssignedTo: &id}, "assigned_to = ?", []any{id}}
		out[fmt.Sprintf("assigned_to=%d&open", i)] = struct {
			f     ticket.Filter
			where string
			args  []any
		}{ticket.Filter{AssignedTo: &id, Statuses: []string{"open"}}, "assigned_to = ? AND status = 'open'", []any{id}}
	}
	for i, d := range depts {
		out[fmt.Sprintf("department=%d", i)] = struct {
			f     ticket.Filter
			where string
			args  []any
		}{ticket.Filter{DepartmentID: &d}, "department_id = ?", []any{d}}
	}
	return out
}

// checkCounts compares every counted total with a count of the tickets table.
func (e *env) checkCounts(when string, agents []*auth.Actor, depts []int64) {
	e.t.Helper()
	for name, c := range countFilters(agents, depts) {
		p, err := e.svc.List(e.ctx, agents[0], c.f)
		if err != nil {
			e.t.Fatalf("%s: %s: %v", when, name, err)
		}
		if want := e.count(`SELECT count(*) FROM tickets WHERE `+c.where, c.args...); p.Total != want {
			e.t.Fatalf("%s: %s: total %d, the table has %d", when, name, p.Total, want)
		}
	}
}

func TestCountsFollowEveryChange(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agents := []*auth.Actor{e.user("agent"), e.user("agent")}
		admin, customer := e.user("admin"), e.user("customer")
		depts := []int64{e.department("Billing"), e.department("Sales")}
		e.checkCounts("empty", agents, depts)

		var tickets []*ticket.Ticket
		for i := range 6 {
			tickets = append(tickets, e.open(customer, fmt.Sprintf("T%d", i)))
		}
		e.checkCounts("after creates", agents, depts)

		a0, a1 := agents[0].UserID, agents[1].UserID
		steps := []func() error{
			func() error { _, err := e.svc.Assign(e.ctx, agents[0], tickets[0].ID, &a0); return err },
			func() error { _, err := e.svc.Assign(e.ctx, agents[0], tickets[1].ID, &a1); return err },
			func() error { _, err := e.svc.ChangeDepartment(e.ctx, agents[0], tickets[1].ID, &depts[0]); return err },
			func() error { _, err := e.svc.ChangePriority(e.ctx, agents[0], tickets[2].ID, "high"); return err },
			func() error { _, err := e.svc.ChangeStatus(e.ctx, agents[0], tickets[0].ID, "in_progress"); return err },
			func() error { _, err := e.svc.ChangeStatus(e.ctx, agents[0], tickets[3].ID, "closed"); return err },
			func() error { _, err := e.svc.Assign(e.ctx, agents[0], tickets[0].ID, nil); return err },
			// One batch of several changes: one row version, counted once.
			func() error {
				_, err := e.svc.Apply(e.ctx, agents[1], tickets[4].ID, ticket.OpAssign(&a1), ticket.OpPriority("low"),
					ticket.OpStatus("resolved"), ticket.OpDepartment(&depts[1]))
				return err
			},
			func() error { _, err := e.svc.ChangeStatus(e.ctx, agents[0], tickets[4].ID, "closed"); return err },
			func() error { return e.svc.Delete(e.ctx, admin, tickets[5].ID) },
			func() error { return e.svc.CompactCounts(e.ctx) },
			func() error { _, err := e.svc.ChangeStatus(e.ctx, agents[0], tickets[3].ID, "reopened"); return err },
			// A department removed under its tickets: the foreign key sets them to none.
			func() error {
				_, err := e.db.W.NewRaw(`DELETE FROM departments WHERE id = ?`, depts[1]).Exec(e.ctx)
				return err
			},
			func() error { return e.svc.CompactCounts(e.ctx) },
			func() error { return e.svc.CompactCounts(e.ctx) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			e.checkCounts(fmt.Sprintf("after step %d", i), agents, depts)
		}
		// Compacted, ticket_counts holds one row per combination that has tickets.
		if rows, groups := e.count(`SELECT count(*) FROM ticket_counts`),
			e.count(`SELECT count(*) FROM (SELECT 1 FROM tickets GROUP BY status, priority, assigned_to, department_id, is_open) g`); rows != groups {
			t.Fatalf("%d rows in ticket_counts after compacting, %d combinations", rows, groups)
		}
		// The totals above did come from ticket_counts, and a filter it cannot answer does not.
		if _, err := e.db.W.NewRaw(`INSERT INTO ticket_counts (status, priority, is_open, n) VALUES ('open', 'low', TRUE, 1000)`).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		real := e.count(`SELECT count(*) FROM tickets`)
		if p, err := e.svc.List(e.ctx, agents[0], ticket.Filter{}); err != nil || p.Total != real+1000 {
			t.Fatalf("total %v (%v), want the counted %d", p, err, real+1000)
		}
		if p, err := e.svc.List(e.ctx, agents[0], ticket.Filter{TicketType: "question"}); err != nil || p.Total != real {
			t.Fatalf("total by type %v (%v), want %d from the table", p, err, real)
		}
	})
}

// TestCountsUnderConcurrentChanges: agents create, move, assign and delete tickets at once
// while the counts are compacted; every total must still match the table.
func TestCountsUnderConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const workers = 8
		admin, customer := e.user("admin"), e.user("customer")
		agents := make([]*auth.Actor, workers)
		for i := range agents {
			agents[i] = e.user("agent")
		}
		depts := []int64{e.department("Billing")}
		shared := e.open(customer, "Shared")
		var wg sync.WaitGroup
		errs := make(chan error, workers*8+4)
		for i, a := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: fmt.Sprintf("W%d", i), Description: "x"})
				if err != nil {
					errs <- err
					return
				}
				for _, step := range []func() error{
					func() error { _, err := e.svc.Assign(e.ctx, a, tk.ID, &a.UserID); return err },
					func() error { _, err := e.svc.ChangeStatus(e.ctx, a, tk.ID, "in_progress"); return err },
					func() error { _, err := e.svc.Assign(e.ctx, a, shared.ID, &a.UserID); return err },
					func() error {
						_, err := e.svc.ChangePriority(e.ctx, a, shared.ID, ticket.Priorities[i%len(ticket.Priorities)])
						return err
					},
					func() error { _, err := e.svc.ChangeDepartment(e.ctx, a, tk.ID, &depts[0]); return err },
					func() error {
						if i%3 == 0 {
							return e.svc.Delete(e.ctx, admin, tk.ID)
						}
						_, err := e.svc.ChangeStatus(e.ctx, a, tk.ID, "closed")
						return err
					},
				} {
					if err := step(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- e.svc.CompactCounts(e.ctx)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		e.checkCounts("after the concurrent changes", agents, depts)
		if err := e.svc.CompactCounts(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.checkCounts("compacted", agents, depts)
	})
}

// TestWalkingTheOrderFindsTheSamePage: a tag or search filter that matches many tickets walks
// the order's index on SQLite instead of starting from the matches; pages and totals must be
// the same either way.
func TestWalkingTheOrderFindsTheSamePage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		vip := e.tag("vip")
		for i := range 12 {
			tk := e.open(customer, fmt.Sprintf("Printer %d", i))
			if i%3 != 0 {
				if _, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{vip}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, ticket.Priorities[i%len(ticket.Priorities)]); err != nil && i%len(ticket.Priorities) != 1 {
				t.Fatal(err)
			}
			e.clock.Advance(time.Minute)
		}
		var filters []ticket.Filter
		for _, sort := range []string{"", "created_at", "priority", "subject"} {
			for _, desc := range []bool{false, true} {
				filters = append(filters,
					ticket.Filter{TagID: &vip, Sort: sort, Desc: desc, PerPage: 5, Page: 2},
					ticket.Filter{Search: "rinter", Sort: sort, Desc: desc, PerPage: 5},
					ticket.Filter{Search: "rinter", TagID: &vip, Sort: sort, Desc: desc, PerPage: 3, Page: 2})
			}
		}
		want := make([][]string, len(filters))
		totals := make([]int, len(filters))
		for i, f := range filters {
			p, err := e.svc.List(e.ctx, agent, f)
			if err != nil {
				t.Fatal(err)
			}
			want[i], totals[i] = references(p), p.Total
		}
		ticket.SetWalkThreshold(t, 1)
		for i, f := range filters {
			p, err := e.svc.List(e.ctx, agent, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := references(p); !slices.Equal(got, want[i]) || p.Total != totals[i] {
				t.Fatalf("filter %+v walking: %v (total %d), want %v (total %d)", f, got, p.Total, want[i], totals[i])
			}
		}
	})
}

// TestMigration13FillsFromExistingTickets: a desk upgraded with tickets already in it gets
// them searchable and counted. The test takes migration 0013 (and the later ones that build
// on it: 0018 on SQLite, 0020 to 0022 on PostgreSQL) back out, writes tickets the way a desk
// before it did (no triggers), and migrates again.
func TestMigration13FillsFromExistingTickets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		drop := []string{
			`DROP TABLE ticket_counts`, `DROP TABLE ticket_search`, `DROP INDEX tickets_priority_rank_idx`,
			`DELETE FROM schema_migrations WHERE version = 13`,
		}
		if e.db.Dialect == db.Postgres {
			drop = append([]string{`DROP FUNCTION tickets_count_delta() CASCADE`, `DROP FUNCTION tickets_search_sync() CASCADE`,
				`DROP FUNCTION tickets_inserted() CASCADE`, `DROP FUNCTION tickets_deleted() CASCADE`,
				`DELETE FROM schema_migrations WHERE version IN (20, 21, 22)`}, drop...)
		} else {
			drop = append([]string{`DROP TRIGGER tickets_counts_ai`, `DROP TRIGGER tickets_counts_au`, `DROP TRIGGER tickets_counts_ad`,
				`DROP TRIGGER tickets_search_au`, `DROP TRIGGER tickets_search_ad`, `DROP TABLE ticket_search_state`,
				`DELETE FROM schema_migrations WHERE version = 18`}, drop...)
		}
		for _, q := range drop {
			if _, err := e.db.W.ExecContext(e.ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		now := e.clock.Now()
		for i, st := range []string{"open", "open", "closed", "resolved", "open"} {
			e.insert(`INSERT INTO tickets (reference, subject, status, priority, is_open, assigned_to, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("OLD-%03d", i), fmt.Sprintf("Old printer %d", i), st,
				ticket.Priorities[i%len(ticket.Priorities)], st == "open", map[bool]any{true: agent.UserID, false: nil}[i%2 == 0], now, now)
		}
		if err := e.db.Migrate(e.ctx, nil); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		e.checkCounts("after the upgrade", []*auth.Actor{agent}, nil)
		p, err := e.svc.List(e.ctx, agent, ticket.Filter{Search: "OLD PRINTER", Sort: "reference"})
		if err != nil || p.Total != 5 || len(p.Items) != 5 {
			t.Fatalf("search after the upgrade: %v, %v", p, err)
		}
		p, err = e.svc.List(e.ctx, agent, ticket.Filter{Search: "old-003"})
		if err != nil || !slices.Equal(subjects(p), []string{"Old printer 3"}) {
			t.Fatalf("reference search after the upgrade: %v, %v", p, err)
		}
		p, err = e.svc.List(e.ctx, agent, ticket.Filter{Sort: "priority", Desc: true, PerPage: 1})
		if err != nil || p.Items[0].Priority != "critical" {
			t.Fatalf("priority sort after the upgrade: %+v, %v", p, err)
		}
	})
}
