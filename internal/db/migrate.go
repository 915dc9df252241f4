package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

//go:embed migrations
var migrationFiles embed.FS

// A Seeder fills a freshly created table inside the migration's transaction, so a migration
// and the rows it depends on land together or not at all.
type Seeder func(ctx context.Context, tx bun.Tx, dialect Dialect) error

// Migrate applies the migrations that have not run yet, each in its own transaction, then the
// seeder registered for its version. It is safe to call twice and from two processes at once:
// on PostgreSQL an advisory lock serialises the callers; on SQLite the writer's IMMEDIATE
// transaction does.
func (d *DB) Migrate(ctx context.Context, seeders map[int]Seeder) error {
	files, err := d.migrations()
	if err != nil {
		return err
	}
	// Even CREATE TABLE IF NOT EXISTS races on PostgreSQL (two callers both see no table and
	// one fails on the catalog's unique index), so it too runs under the lock.
	err = d.lockedTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: create schema_migrations: %w", err)
	}
	for _, m := range files {
		err := d.lockedTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(ctx, &n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if seed := seeders[m.version]; seed != nil {
				if err := seed(ctx, tx, d.Dialect); err != nil {
					return fmt.Errorf("seed: %w", err)
				}
			}
			_, err := tx.NewRaw(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// migrationLock is the PostgreSQL advisory lock class that serialises migrating processes.
const migrationLock = 8347261

// lockedTx runs fn in a write transaction that no other process migrating the same schema
// runs alongside. The lock is per schema, so desks in other schemas of the database (tests
// give each desk one) migrate in parallel.
func (d *DB) lockedTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if d.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
				return err
			}
		}
		return fn(ctx, tx)
	})
}

type migration struct {
	version int
	name    string
	sql     string
}

func (d *DB) migrations() ([]migration, error) {
	dir := "migrations/" + string(d.Dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("db: migration file %q is not named NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFiles, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
