package ticket

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/jobs"
)

// The queue over many tickets (migration 0013, docs/decisions.md "Queue at 100,000 tickets"):
// search from a trigram index, totals from the ticket_counts deltas, which triggers on
// tickets keep in the same transaction as every change, whichever code makes it.

// minSearchIndexed is the shortest search the trigram indexes can answer: a shorter one has
// no trigram, so it is matched by reading every subject.
const minSearchIndexed = 3

// search keeps the tickets whose subject or reference contains term, ignoring case.
func (s *Service) search(q *bun.SelectQuery, term string) *bun.SelectQuery {
	if s.db.Dialect == db.SQLite && utf8.RuneCountInString(term) >= minSearchIndexed {
		// A phrase of the trigram tokenizer matches exactly the texts that contain it as a
		// substring, case folded. The column filter keeps a match inside one column.
		phrase := `{subject reference} : "` + strings.ReplaceAll(term, `"`, `""`) + `"`
		return q.Where("t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)", phrase)
	}
	// PostgreSQL: pg_trgm's GIN index (tickets_search_idx) answers both ILIKEs.
	pattern := "%" + escapeLike(term) + "%"
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("t.subject "+s.db.ILike()+" ? ESCAPE '\\'", pattern).
			WhereOr("t.reference "+s.db.ILike()+" ? ESCAPE '\\'", pattern)
	})
}

// countedByDeltas reports whether ticket_counts can give f's total: the filter is on status,
// priority, assignee, department and open at most, and the actor sees the whole queue. Any
// other field, including one added to Filter later, makes it false.
func countedByDeltas(actor *auth.Actor, f Filter) bool {
	if actor.IsCustomer() {
		return false
	}
	rest := f
	rest.Statuses, rest.Priorities, rest.AssignedTo, rest.Unassigned = nil, nil, nil, false
	rest.DepartmentID, rest.OpenOnly = nil, false
	rest.Sort, rest.Desc, rest.Page, rest.PerPage = "", false, 0, 0
	return reflect.DeepEqual(rest, Filter{})
}

// count is List's total. Filters on the columns of ticket_counts (status, priority, assignee,
// department, open) sum its rows, whatever their number of matching tickets; any other
// filter counts the matching tickets from an index.
func (s *Service) count(ctx context.Context, actor *auth.Actor, f Filter, where func(*bun.SelectQuery) *bun.SelectQuery) (int, error) {
	if countedByDeltas(actor, f) {
		var n int64
		// ticket_counts has the columns applyFilter names, under the same alias.
		err := s.applyFilter(s.db.R.NewSelect().TableExpr("ticket_counts AS t").
			ColumnExpr("CAST(coalesce(sum(t.n), 0) AS BIGINT)"), f).Scan(ctx, &n)
		if err != nil {
			return 0, fmt.Errorf("ticket: count list: %w", err)
		}
		return int(n), nil
	}
	total, err := where(s.db.R.NewSelect().TableExpr("tickets AS t")).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("ticket: count list: %w", err)
	}
	return int(total), nil
}

// CompactCounts folds the rows of ticket_counts into one per combination of values, dropping
// combinations with no tickets. Counts stay the same throughout; only the rows to add up
// shrink. Concurrent ticket changes go on: their rows are added, never updated, and a row
// not yet committed when the fold starts is left for the next one.
func (s *Service) CompactCounts(ctx context.Context) error {
	const cols = "status, priority, assigned_to, department_id, is_open"
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.db.Dialect == db.Postgres {
			_, err := tx.ExecContext(ctx, `WITH gone AS (DELETE FROM ticket_counts RETURNING `+cols+`, n)
				INSERT INTO ticket_counts (`+cols+`, n) SELECT `+cols+`, sum(n) FROM gone
				GROUP BY `+cols+` HAVING sum(n) <> 0`)
			if err != nil {
				return fmt.Errorf("ticket: compact counts: %w", err)
			}
			return nil
		}
		// SQLite: the writer's transaction excludes every other write.
		var last int64
		if err := tx.NewRaw(`SELECT coalesce(max(rowid), 0) FROM ticket_counts`).Scan(ctx, &last); err != nil {
			return fmt.Errorf("ticket: compact counts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_counts (`+cols+`, n) SELECT `+cols+`, sum(n)
			FROM ticket_counts WHERE rowid <= ? GROUP BY `+cols+` HAVING sum(n) <> 0`, last); err != nil {
			return fmt.Errorf("ticket: compact counts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_counts WHERE rowid <= ?`, last); err != nil {
			return fmt.Errorf("ticket: compact counts: %w", err)
		}
		return nil
	})
}

// compactCountsArgs is the job that runs CompactCounts every minute, so a count adds up at
// most a minute's changes besides one row per combination.
type compactCountsArgs struct{}

func (compactCountsArgs) Kind() string { return "ticket.compact_counts" }

type compactCountsWorker struct {
	river.WorkerDefaults[compactCountsArgs]
	tickets *Service
}

func (w *compactCountsWorker) Work(ctx context.Context, _ *river.Job[compactCountsArgs]) error {
	return w.tickets.CompactCounts(ctx)
}

func (s *Service) registerCountJobs(j *jobs.Jobs) {
	jobs.AddWorker(j, &compactCountsWorker{tickets: s})
	j.AddPeriodic(jobs.Periodic{
		Name:  compactCountsArgs{}.Kind(),
		Every: time.Minute,
		Args:  func() river.JobArgs { return compactCountsArgs{} },
	})
}
