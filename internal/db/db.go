// Package db opens the desk's database (SQLite or PostgreSQL), applies its migrations and
// holds the few pieces of SQL that differ between the two.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database in use.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the desk's database. On SQLite, W is the single writer connection and R a pool of
// readers, so writers never fight over the lock; on PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	W       *bun.DB
	R       *bun.DB

	group *groupCommit  // SQLite: write transactions share commits (see groupCommit)
	stmts *stmtCache    // the writer's prepared statements (see ExecTx)
	ckpt  *checkpointer // SQLite: copies the log back off the writer (see checkpointer)
}

// Open connects to the database named by url: a postgres:// or postgresql:// URL, or else
// a SQLite file path (optionally prefixed with sqlite:// or file:).
func Open(ctx context.Context, url string) (*DB, error) {
	var d *DB
	var err error
	if IsPostgresURL(url) {
		d, err = openPostgres(url)
	} else {
		d, err = openSQLite(url)
	}
	if err != nil {
		return nil, err
	}
	if err := d.W.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", d.Dialect, err)
	}
	if d.Dialect == SQLite {
		if err := enableWAL(ctx, d.W); err != nil {
			d.Close()
			return nil, fmt.Errorf("db: switch sqlite to WAL: %w", err)
		}
		if d.ckpt, err = startCheckpointer(SQLitePath(url), d.group.committed.Load); err != nil {
			d.Close()
			return nil, err
		}
	}
	// Best effort: another process opening the same file may hold the lock, and the hourly
	// maintenance job refreshes the statistics anyway.
	_ = d.Optimize(ctx)
	return d, nil
}

// Optimize refreshes SQLite's query-planner statistics where they are missing or stale.
// Without them SQLite cannot tell that status = 'open' matches far fewer tickets than
// priority = 'high' and may read the wrong index. analysis_limit keeps it to a few
// milliseconds on a large database, so it is cheap enough to run at open and periodically.
// PostgreSQL's autovacuum does this by itself.
func (d *DB) Optimize(ctx context.Context) error {
	if d.Dialect != SQLite {
		return nil
	}
	if _, err := d.W.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return fmt.Errorf("db: optimize: %w", err)
	}
	return nil
}

// IsPostgresURL reports whether url names a PostgreSQL database.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func openPostgres(dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	// bun writes every value into the SQL text, so no two statements share a text and pgx's
	// default mode would prepare, cache and later deallocate each one: an extra round trip
	// per query and a stream of server-side statements. Exec mode sends each statement once,
	// unprepared, in one round trip. A URL that names default_query_exec_mode keeps its own.
	if u, err := url.Parse(dsn); err == nil && !u.Query().Has("default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	sqldb := stdlib.OpenDB(*cfg)
	// A transaction holds its connection while PostgreSQL flushes the commit to disk, which
	// takes about as long as the work before it, so a small server still needs enough
	// connections for its concurrent requests (16 measured against 8 on 2 CPUs: about a
	// quarter more ticket creates per second); the server then flushes their commits
	// together.
	n := max(16, 4*runtime.GOMAXPROCS(0))
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	b := bun.NewDB(sqldb, pgdialect.New())
	return &DB{Dialect: Postgres, W: b, R: b, stmts: newStmtCache()}, nil
}

// sqlitePragmas tune SQLite for a server: WAL so readers never block the writer, a busy
// timeout instead of instant SQLITE_BUSY, foreign keys on, and NORMAL sync, which in WAL mode
// is durable across application crashes and loses at most the last commits on power loss.
// WAL is set once per Open by enableWAL rather than here (see there why).
var sqlitePragmas = []string{
	"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)",
	"cache_size(-32000)", "temp_store(MEMORY)", "analysis_limit(1000)",
}

// sqliteQuery is the URL query of a SQLite connection: sqlitePragmas and then extra ones.
func sqliteQuery(extra ...string) url.Values {
	q := url.Values{}
	for _, p := range append(sqlitePragmas[:len(sqlitePragmas):len(sqlitePragmas)], extra...) {
		q.Add("_pragma", p)
	}
	return q
}

// SQLitePath is the file path of a SQLite database URL: without its sqlite:// or file:
// prefix and its query.
func SQLitePath(url string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path
}

func openSQLite(dsn string) (*DB, error) {
	path := SQLitePath(dsn)
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("db: SQLite needs a file path (an in-memory database cannot be shared between the writer and the readers)")
	}
	q := sqliteQuery(fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint))
	q.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite writer: %w", err)
	}
	// Each connection keeps its own page cache of up to cache_size, so a desk that has been
	// busy holds several copies of the hot pages. Connections idle for a minute are closed
	// to hand that memory back (measured: 110 MB resident idle after a burst of load, 51 MB
	// with this); the next request opens a fresh one in about a millisecond.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(time.Minute)

	q = sqliteQuery("query_only(1)")
	q.Set("_txlock", "deferred")
	reader, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("db: open sqlite readers: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxIdleTime(time.Minute)
	d := &DB{
		Dialect: SQLite,
		W:       bun.NewDB(writer, sqlitedialect.New()),
		R:       bun.NewDB(reader, sqlitedialect.New()),
		stmts:   newStmtCache(),
	}
	d.group = startGroupCommit(d)
	return d, nil
}

// enableWAL switches the file to write-ahead logging, which then sticks to the file. When two
// processes open a new file at once, each holds the read lock the other's switch needs, and
// SQLite answers SQLITE_BUSY at once instead of waiting out the busy timeout; so the switch is
// retried. Once the file is in WAL mode the pragma writes nothing and cannot be busy.
func enableWAL(ctx context.Context, w *bun.DB) error {
	var err error
	for range 500 {
		var mode string
		err = w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		var serr *sqlite.Error
		if !errors.As(err, &serr) || serr.Code()&0xff != sqlite3.SQLITE_BUSY {
			if err == nil && mode != "wal" {
				err = fmt.Errorf("journal mode is %q", mode)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return err
}

// Close closes every connection.
func (d *DB) Close() error {
	var err error
	if d.group != nil {
		d.group.close()
	}
	if d.ckpt != nil {
		err = d.ckpt.close()
	}
	if werr := d.W.Close(); err == nil {
		err = werr
	}
	if d.R != d.W {
		if rerr := d.R.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// InTx runs fn in one write transaction and commits when fn returns nil. On SQLite,
// concurrent calls share one transaction and one commit, each in a savepoint of its own:
// fn's writes commit, or are undone, exactly as if it ran alone, and InTx returns only after
// they are committed (see groupCommit). fn must not start another transaction.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	if d.group != nil {
		return d.group.run(ctx, fn)
	}
	return d.W.RunInTx(ctx, nil, fn)
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.R.PingContext(ctx)
}
