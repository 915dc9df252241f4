package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// ForUpdate is the row-lock clause for a SELECT that precedes an UPDATE of the same row. On
// SQLite the single writer connection already serialises write transactions.
func (d *DB) ForUpdate() string {
	if d.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// ILike is the case-insensitive LIKE operator.
func (d *DB) ILike() string {
	if d.Dialect == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// ForKeyShare is the row-lock clause for a SELECT that reads a row the transaction goes on
// to depend on: until commit nobody may delete the row or lock it FOR UPDATE, while other
// readers and other key-share lockers pass. On SQLite the single writer connection already
// serialises write transactions.
func (d *DB) ForKeyShare() string {
	if d.Dialect == Postgres {
		return " FOR KEY SHARE"
	}
	return ""
}

// Bytewise makes a text expression compare in byte order, as an index built the same way
// (`COLLATE "C"` on PostgreSQL) does, so a prefix can be looked up as a range whatever the
// database's collation. SQLite compares text bytewise already.
func (d *DB) Bytewise(expr string) string {
	if d.Dialect == Postgres {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// StringAgg is the aggregate that joins the values of expr with commas, in no set order; it
// is NULL over no rows.
func (d *DB) StringAgg(expr string) string {
	if d.Dialect == Postgres {
		return "string_agg(" + expr + ", ',')"
	}
	return "group_concat(" + expr + ", ',')"
}

// PrepareRead prepares a query on the readers, for a hot path that runs the same query on
// every request: bun sends arguments inline, so SQLite would otherwise parse and plan it
// anew each time. Placeholders are written ?, which PostgreSQL gets as $1, $2…; the query
// must hold no other question mark. Scan its rows with bun's DB.ScanRows.
func (d *DB) PrepareRead(ctx context.Context, query string) (*sql.Stmt, error) {
	query = d.placeholders(query)
	stmt, err := d.R.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("db: prepare: %w", err)
	}
	return stmt, nil
}

// NextID takes the id the next row of table will get, so the row can be inserted with
// values made from its id (a ticket's reference) in one statement rather than an insert
// and an update. Call it in the transaction that inserts the row: on PostgreSQL it draws
// from the id's sequence, so the id is never handed out twice; on SQLite it is the id
// AUTOINCREMENT would choose (past every id ever used, deleted ones included), and the
// writer's lock keeps it free until the insert. table is a constant name, never input.
func (d *DB) NextID(ctx context.Context, tx bun.Tx, table string) (int64, error) {
	ids, err := d.NextIDs(ctx, tx, table, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// NextIDs takes the ids the next n rows of table will get, as NextID does for one, with one
// query. On PostgreSQL they need not be consecutive (other transactions draw from the same
// sequence); on SQLite they are.
func (d *DB) NextIDs(ctx context.Context, tx bun.Tx, table string, n int) ([]int64, error) {
	ids := make([]int64, n)
	if d.Dialect != Postgres {
		// The table's name is part of the prepared statement's text (one statement per table).
		q := `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '` + table + `'), 0),
		coalesce((SELECT max(id) FROM "` + table + `"), 0)) + 1`
		if err := d.QueryRowTx(ctx, tx, q, nil, &ids[0]); err != nil {
			return nil, fmt.Errorf("db: next id of %s: %w", table, err)
		}
		for i := 1; i < n; i++ {
			ids[i] = ids[0] + int64(i)
		}
		return ids, nil
	}
	seq, err := d.sequenceOf(ctx, tx, table)
	if err != nil {
		return nil, err
	}
	// The sequence's name as a constant: pg_get_serial_sequence looked it up in the catalogs
	// on every call (3 % of PostgreSQL's time on a ticket create).
	q := `SELECT nextval('` + strings.ReplaceAll(seq, "'", "''") + `'::regclass) FROM generate_series(1, ?)`
	ids = ids[:0]
	err = d.queryTx(ctx, tx, q, []any{n}, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err == nil && len(ids) != n {
		err = fmt.Errorf("got %d ids", len(ids))
	}
	if err != nil {
		return nil, fmt.Errorf("db: next ids of %s: %w", table, err)
	}
	return ids, nil
}

// sequenceOf is the name of the sequence behind table's id column (PostgreSQL), looked up
// once: a desk's tables stay in their schema.
func (d *DB) sequenceOf(ctx context.Context, tx bun.Tx, table string) (string, error) {
	c := d.stmts
	c.mu.Lock()
	seq, ok := c.sequences[table]
	c.mu.Unlock()
	if ok {
		return seq, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence(?, 'id')`, table).Scan(&seq); err != nil {
		return "", fmt.Errorf("db: the id sequence of %s: %w", table, err)
	}
	c.mu.Lock()
	c.sequences[table] = seq
	c.mu.Unlock()
	return seq, nil
}
