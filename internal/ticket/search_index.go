package ticket

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
)

// searchBatch bounds the tickets one IndexSearch transaction adds, so a backlog (a bulk
// load) does not hold SQLite's writer for long.
var searchBatch = 5000

// IndexSearch adds the tickets created since the last call to SQLite's search index
// (ticket_search), a batch per transaction, until it has caught up, and returns how many it
// added. On SQLite a new ticket is not indexed by its own create: FTS5 would write an index
// segment for each one (migration 0018). Until its batch is indexed, a search matches its
// subject and reference directly (search). A no-op on PostgreSQL, whose index is kept by
// triggers.
func (s *Service) IndexSearch(ctx context.Context) (int, error) { return IndexSearch(ctx, s.db) }

// IndexSearch is Service.IndexSearch for a caller without a service, such as a bulk loader.
func IndexSearch(ctx context.Context, d *db.DB) (int, error) {
	if d.Dialect != db.SQLite {
		return 0, nil
	}
	total := 0
	for {
		// Read first, so an idle desk checks without taking the writer.
		var through, last int64
		if err := d.R.NewRaw(searchBacklog).Scan(ctx, &through, &last); err != nil {
			return total, fmt.Errorf("ticket: search backlog: %w", err)
		}
		if last <= through {
			return total, nil
		}
		n := 0
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			// Again under the writer's lock: another process may have indexed meanwhile.
			if err := tx.NewRaw(searchBacklog).Scan(ctx, &through, &last); err != nil {
				return err
			}
			var upTo int64
			if err := tx.NewRaw(`SELECT coalesce(max(id), 0) FROM (SELECT id FROM tickets WHERE id > ? ORDER BY id LIMIT ?)`,
				through, searchBatch).Scan(ctx, &upTo); err != nil || upTo == 0 {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO ticket_search (rowid, subject, reference)
				SELECT id, subject, coalesce(reference, '') FROM tickets WHERE id > ? AND id <= ?`, through, upTo)
			if err != nil {
				return err
			}
			added, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n = int(added)
			_, err = tx.ExecContext(ctx, `UPDATE ticket_search_state SET indexed_through = ?`, upTo)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("ticket: index search: %w", err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// searchBacklog is the last ticket id indexed and the highest ticket id.
const searchBacklog = `SELECT indexed_through, (SELECT coalesce(max(id), 0) FROM tickets) FROM ticket_search_state`
