// Package dbtest runs a test against every database the desk supports.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresEnv names the variable that holds the PostgreSQL server URL used by tests. When it
// is set, every test also runs on PostgreSQL and fails if the server cannot be reached.
const PostgresEnv = "ESCALATED_TEST_POSTGRES_URL"

// Each runs fn once per database as the subtests "sqlite" and "postgres", each given the URL
// of a fresh, empty database that is dropped when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(PostgresEnv) == "" {
			t.Skip(PostgresEnv + " is not set")
		}
		fn(t, PostgresURL(t))
	})
}

// SQLiteURL returns the path of a new SQLite file in the test's temporary folder.
func SQLiteURL(t testing.TB) string {
	return filepath.Join(t.TempDir(), "escalated.db")
}

// PostgresURL creates a schema of its own on the server in $ESCALATED_TEST_POSTGRES_URL and
// returns a URL whose search_path points at it, so tests never see each other's rows.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Fatal(PostgresEnv + " is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: PostgreSQL at %s is unreachable or refused CREATE SCHEMA: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
