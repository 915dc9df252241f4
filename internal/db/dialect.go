package db

import (
	"context"
	"fmt"

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

// NextID takes the id the next row of table will get, so the row can be inserted with
// values made from its id (a ticket's reference) in one statement rather than an insert
// and an update. Call it in the transaction that inserts the row: on PostgreSQL it draws
// from the id's sequence, so the id is never handed out twice; on SQLite it is the id the
// database would choose, and the writer's lock keeps it free until the insert.
func (d *DB) NextID(ctx context.Context, tx bun.IDB, table string) (int64, error) {
	q := tx.NewRaw(`SELECT coalesce(max(id), 0) + 1 FROM ?`, bun.Ident(table))
	if d.Dialect == Postgres {
		q = tx.NewRaw(`SELECT nextval(pg_get_serial_sequence(?, 'id'))`, table)
	}
	var id int64
	if err := q.Scan(ctx, &id); err != nil {
		return 0, fmt.Errorf("db: next id of %s: %w", table, err)
	}
	return id, nil
}
