package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
)

// riverMigrationLock is the PostgreSQL advisory lock that serialises River's migrations
// between processes (the desk's own migrations use 8347261).
const riverMigrationLock = 8347262

// migrate applies River's migrations to d and reports how many it applied. Like the desk's
// own migrations it is safe twice and from two processes at once. rivermigrate alone is
// not: it reads which versions exist and then applies the others, so two processes
// starting together would both apply the first. On PostgreSQL a session advisory lock,
// held on a connection of its own, serialises them. On SQLite the migrations run in one
// transaction on the writer, which begins IMMEDIATE and so is the lock; that is River's
// MigrateTx, deprecated because some PostgreSQL migrations cannot share a transaction,
// which does not concern SQLite's.
func migrate(ctx context.Context, d *db.DB, log *slog.Logger) (int, error) {
	m, err := rivermigrate.New(newDriver(d), &rivermigrate.Config{Logger: log})
	if err != nil {
		return 0, fmt.Errorf("jobs: migrations: %w", err)
	}
	var res *rivermigrate.MigrateResult
	if d.Dialect == db.SQLite {
		err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			res, err = m.MigrateTx(ctx, tx.Tx, rivermigrate.DirectionUp, nil) //nolint:staticcheck // see above
			return err
		})
	} else {
		res, err = migrateLocked(ctx, d, m)
	}
	if err != nil {
		return 0, fmt.Errorf("jobs: River migrations: %w", err)
	}
	return len(res.Versions), nil
}

func migrateLocked(ctx context.Context, d *db.DB, m *rivermigrate.Migrator[*sql.Tx]) (*rivermigrate.MigrateResult, error) {
	conn, err := d.W.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLock); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLock)
	return m.Migrate(ctx, rivermigrate.DirectionUp, nil)
}
