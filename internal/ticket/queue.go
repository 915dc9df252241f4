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
// no trigram, so it is matched by reading every subject and reference (of tickets on SQLite,
// of the narrow ticket_search on PostgreSQL).
const minSearchIndexed = 3

// search keeps the tickets whose subject or reference contains term, ignoring case.
func (s *Service) search(q *bun.SelectQuery, term string, walk bool) *bun.SelectQuery {
	if s.ftsSearch(term) {
		// With walk, the unary + keeps SQLite from starting at the matches: it walks the
		// order's index and tests each ticket against the matches' list instead.
		in := "t.id IN"
		if walk {
			in = "+t.id IN"
		}
		pattern := likePattern(term)
		return q.Where("("+in+" (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?) OR "+notYetIndexed+")",
			ftsPhrase(term), pattern, pattern)
	}
	if s.db.Dialect == db.Postgres {
		// pg_trgm's GIN index on the narrow ticket_search answers both ILIKEs.
		return q.Where("t.id IN (SELECT id FROM ticket_search WHERE "+pgSearch+")", likePattern(term), likePattern(term))
	}
	pattern := likePattern(term)
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("t.subject LIKE ? ESCAPE '\\'", pattern).
			WhereOr("t.reference LIKE ? ESCAPE '\\'", pattern)
	})
}

// notYetIndexed is the condition on tickets newer than SQLite's search index (IndexSearch)
// that matches their subject or reference directly, with likePattern twice. It reads the
// tickets after the mark by id: at most the few created since the last batch.
const notYetIndexed = `t.id > (SELECT indexed_through FROM ticket_search_state) AND
	(t.subject LIKE ? ESCAPE '\' OR t.reference LIKE ? ESCAPE '\')`

func likePattern(term string) string { return "%" + escapeLike(term) + "%" }

// pgSearch is the condition on ticket_search (PostgreSQL) for a search, with likePattern twice.
const pgSearch = `(subject ILIKE ? ESCAPE '\' OR reference ILIKE ? ESCAPE '\')`

// ftsSearch reports whether a search for term is answered from ticket_search (SQLite).
func (s *Service) ftsSearch(term string) bool {
	return s.db.Dialect == db.SQLite && utf8.RuneCountInString(term) >= minSearchIndexed
}

// ftsPhrase is the FTS5 query for tickets whose subject or reference contains term: a phrase
// of the trigram tokenizer matches exactly the texts that contain it as a substring, case
// folded, and the column filter keeps a match inside one column.
func ftsPhrase(term string) string {
	return `{subject reference} : "` + strings.ReplaceAll(term, `"`, `""`) + `"`
}

// walkThreshold is the number of matching tickets from which a SQLite page filtered by tag or
// search walks the order's index instead of starting from the matches: a walk tests about
// 25 × tickets ÷ matches rows before the page is full, a start from the matches looks up
// and sorts every one of them. At 100,000 tickets a tag on 3,700 tickets takes 0.2 ms
// walking and 8 ms joined; a tag on 10 tickets would walk the whole index.
var walkThreshold = 2000

// walkInOrder reports whether List's page query should walk the order's index: on SQLite,
// for a filter by tag or indexed search that matches at least walkThreshold tickets, sorted
// by a column an index gives in order. PostgreSQL's planner makes this choice itself.
func (s *Service) walkInOrder(f Filter, total int) bool {
	if s.db.Dialect != db.SQLite || total < walkThreshold || (f.TagID == nil && !s.ftsSearch(f.Search)) {
		return false
	}
	switch f.Sort {
	case "", "updated_at", "created_at", "id", "reference", "priority":
		return true
	}
	return false
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

// onlyTagOrSearch returns f when its only filter is a tag or a search, for staff.
func onlyTagOrSearch(actor *auth.Actor, f Filter) (Filter, bool) {
	if actor.IsCustomer() || (f.TagID == nil) == (f.Search == "") {
		return f, false
	}
	rest := f
	rest.TagID, rest.Search = nil, ""
	rest.Sort, rest.Desc, rest.Page, rest.PerPage = "", false, 0, 0
	return f, reflect.DeepEqual(rest, Filter{})
}

// count is List's total. Filters on the columns of ticket_counts (status, priority, assignee,
// department, open) sum its rows, whatever their number of matching tickets; a tag alone
// counts its ticket_tags entries, a search alone its ticket_search matches; any other
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
	if only, ok := onlyTagOrSearch(actor, f); ok {
		// Every ticket_tags and ticket_search row has its ticket (foreign keys, triggers).
		var q *bun.SelectQuery
		switch {
		case only.TagID != nil:
			q = s.db.R.NewSelect().TableExpr("ticket_tags").Where("tag_id = ?", *only.TagID)
		case s.ftsSearch(only.Search):
			pattern := likePattern(only.Search)
			var n int64
			err := s.db.R.NewRaw(`SELECT (SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?) +
				(SELECT count(*) FROM tickets AS t WHERE `+notYetIndexed+`)`,
				ftsPhrase(only.Search), pattern, pattern).Scan(ctx, &n)
			if err != nil {
				return 0, fmt.Errorf("ticket: count list: %w", err)
			}
			return int(n), nil
		case s.db.Dialect == db.Postgres:
			q = s.db.R.NewSelect().TableExpr("ticket_search").Where(pgSearch, likePattern(only.Search), likePattern(only.Search))
		}
		if q != nil {
			matches, err := q.Count(ctx)
			if err != nil {
				return 0, fmt.Errorf("ticket: count list: %w", err)
			}
			return int(matches), nil
		}
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
func (s *Service) CompactCounts(ctx context.Context) error { return CompactCounts(ctx, s.db) }

// CompactCounts is Service.CompactCounts for a caller without a service, such as a bulk
// loader, which should compact after writing many tickets: until then every count adds up a
// row per ticket written.
func CompactCounts(ctx context.Context, d *db.DB) error {
	const cols = "status, priority, assigned_to, department_id, is_open"
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if d.Dialect == db.Postgres {
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
