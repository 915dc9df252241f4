package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Prepared statements for the write path's hot statements. bun writes every value into the
// statement text, so no two statements share a text: SQLite parses and plans each one afresh
// (a quarter of a ticket create's processor time was SQLite's parser) and PostgreSQL plans
// each one. These statements are prepared once on the writer and run with placeholders.

// stmtCache holds the writer's prepared statements by query text, and insert plans by model.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt // on the writer
	reads   map[string]*sql.Stmt // on the readers
	inserts map[insertKey]*insertPlan
	// sequences holds the id sequence of each table by name (PostgreSQL, see NextID).
	sequences map[string]string
}

func newStmtCache() *stmtCache {
	return &stmtCache{stmts: map[string]*sql.Stmt{}, reads: map[string]*sql.Stmt{}, inserts: map[insertKey]*insertPlan{},
		sequences: map[string]string{}}
}

// placeholders turns a query's ? placeholders into the dialect's ($1, $2… on PostgreSQL). The
// query must hold no other question mark.
func (d *DB) placeholders(query string) string {
	if d.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, part := range strings.SplitAfter(query, "?") {
		if strings.HasSuffix(part, "?") {
			n++
			part = strings.TrimSuffix(part, "?") + "$" + strconv.Itoa(n)
		}
		b.WriteString(part)
	}
	return b.String()
}

// writeStmt is query prepared on the writer, or nil while it is not prepared yet. It is
// called inside transactions, and on SQLite the transaction holds the writer's one
// connection, so preparing right there would wait for that connection forever: the first
// call prepares it in the background, once the connection is free, and runs unprepared
// meanwhile. database/sql prepares it again on each connection it later runs on.
func (d *DB) writeStmt(query string) *sql.Stmt {
	c := d.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stmts[query]
	if !ok {
		c.stmts[query] = nil // being prepared
		go func() {
			st, err := d.W.DB.PrepareContext(context.Background(), d.placeholders(query))
			c.mu.Lock()
			defer c.mu.Unlock()
			if err != nil {
				delete(c.stmts, query) // try again on next use (e.g. the database was closed)
				return
			}
			c.stmts[query] = st
		}()
	}
	return st
}

// QueryRowRead runs a one-row query, with ? placeholders, on the readers as a prepared
// statement (prepared on first use) and scans its row into dest; no row is sql.ErrNoRows.
func (d *DB) QueryRowRead(ctx context.Context, query string, args []any, dest ...any) error {
	c := d.stmts
	c.mu.Lock()
	st, ok := c.reads[query]
	if !ok {
		var err error
		if st, err = d.R.DB.PrepareContext(ctx, d.placeholders(query)); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("db: prepare: %w", err)
		}
		c.reads[query] = st
	}
	c.mu.Unlock()
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// ExecTx runs query, with ? placeholders, in tx as a prepared statement. Arguments go to the
// driver as they are: pass times through Arg so they are stored as bun stores them.
func (d *DB) ExecTx(ctx context.Context, tx bun.Tx, query string, args ...any) error {
	st := d.writeStmt(query)
	if st == nil {
		_, err := tx.Tx.ExecContext(ctx, d.placeholders(query), args...)
		return err
	}
	s := tx.StmtContext(ctx, st)
	defer s.Close()
	_, err := s.ExecContext(ctx, args...)
	return err
}

// QueryRowTx runs a one-row query, with ? placeholders, in tx as a prepared statement and
// scans its row into dest.
func (d *DB) QueryRowTx(ctx context.Context, tx bun.Tx, query string, args []any, dest ...any) error {
	st := d.writeStmt(query)
	if st == nil {
		return tx.Tx.QueryRowContext(ctx, d.placeholders(query), args...).Scan(dest...)
	}
	s := tx.StmtContext(ctx, st)
	defer s.Close()
	return s.QueryRowContext(ctx, args...).Scan(dest...)
}

// queryTx runs a query, with ? placeholders, in tx as a prepared statement and calls each
// for every row it returns.
func (d *DB) queryTx(ctx context.Context, tx bun.Tx, query string, args []any, each func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if st := d.writeStmt(query); st == nil {
		rows, err = tx.Tx.QueryContext(ctx, d.placeholders(query), args...)
	} else {
		s := tx.StmtContext(ctx, st)
		defer s.Close()
		rows, err = s.QueryContext(ctx, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// bunTime is how bun writes a time into SQL; SQLite keeps times as this text, so values
// bound to a prepared statement must have exactly this form to compare and sort with the
// rest.
const bunTime = "2006-01-02 15:04:05.999999-07:00"

// Arg is v as a prepared statement's argument, stored as bun would store it: on SQLite a
// time becomes bun's text form; nil pointers are NULL.
func (d *DB) Arg(v any) any {
	switch x := v.(type) {
	case time.Time:
		if d.Dialect == SQLite {
			return x.UTC().Format(bunTime)
		}
		return x
	case *time.Time:
		if x == nil {
			return nil
		}
		return d.Arg(*x)
	case json.RawMessage:
		return string(x) // as text, as bun writes it (SQLite would store a BLOB)
	case *int64:
		if x == nil {
			return nil
		}
		return *x
	case *string:
		if x == nil {
			return nil
		}
		return *x
	}
	return v
}

type insertKey struct {
	typ    reflect.Type
	withPK bool
}

// insertPlan is the prepared INSERT of a model's every column: into, then values once per
// row, then returning for a lone row whose key the database chooses.
type insertPlan struct {
	into      string // INSERT INTO table (columns) VALUES
	values    string // one row's placeholders: (?, ?, …)
	returning string // " RETURNING key", when the row leaves its key to the database
	fields    []*schema.Field
	withPK    bool          // the row gives its key
	pk        *schema.Field // the autoincrement key, if the table has one
}

// InsertRow inserts the row of model, a pointer to a bun model struct, in tx with a prepared
// statement: every column, as bun's NewInsert().Model(model) would write it, except that an
// autoincrement primary key left zero is chosen by the database (and set on model).
func (d *DB) InsertRow(ctx context.Context, tx bun.Tx, model any) error {
	return d.InsertRows(ctx, tx, model)
}

// InsertRows inserts the rows of models as InsertRow does, in order. Rows of one model next
// to each other go in one multi-row statement, and on PostgreSQL every statement goes in one
// (the ones before the last in WITH clauses), so a change that writes several rows, or a batch
// of changes, pays one round trip for them. Only the last statement's rows may leave their
// autoincrement keys to the database, and only a lone row learns its key: the order in which
// the database hands back the keys of several rows is not defined.
func (d *DB) InsertRows(ctx context.Context, tx bun.Tx, models ...any) error {
	var groups []*rowGroup
	for _, m := range models {
		r, err := d.rowInsert(tx, m)
		if err != nil {
			return err
		}
		if n := len(groups); n > 0 && groups[n-1].plan == r.plan {
			groups[n-1].rows = append(groups[n-1].rows, r)
			continue
		}
		if n := len(groups); n > 0 && !groups[n-1].plan.withPK {
			return fmt.Errorf("db: InsertRows: only the last rows may leave their key to the database, not %T", groups[n-1].rows[0].strct.Interface())
		}
		groups = append(groups, &rowGroup{plan: r.plan, rows: []*rowInsert{r}})
	}
	if len(groups) == 0 {
		return nil
	}
	if d.Dialect != Postgres {
		for _, g := range groups {
			if err := d.insert(ctx, tx, g.query(), g.args(), g); err != nil {
				return err
			}
		}
		return nil
	}
	var query strings.Builder
	var args []any
	for i, g := range groups {
		switch {
		case i == len(groups)-1:
			if i > 0 {
				query.WriteString(" ")
			}
			query.WriteString(g.query())
		case i == 0:
			fmt.Fprintf(&query, "WITH r%d AS (%s)", i, g.query())
		default:
			fmt.Fprintf(&query, ", r%d AS (%s)", i, g.query())
		}
		args = append(args, g.args()...)
	}
	return d.insert(ctx, tx, query.String(), args, groups[len(groups)-1])
}

// rowGroup is rows of one model that go in one statement.
type rowGroup struct {
	plan *insertPlan
	rows []*rowInsert
}

// query is the group's INSERT: a row of placeholders per row, and RETURNING only for a lone
// row (the keys of several would come back in no defined order).
func (g *rowGroup) query() string {
	if len(g.rows) == 1 {
		return g.plan.into + g.plan.values + g.plan.returning
	}
	return g.plan.into + g.plan.values + strings.Repeat(", "+g.plan.values, len(g.rows)-1)
}

func (g *rowGroup) args() []any {
	if len(g.rows) == 1 {
		return g.rows[0].args
	}
	args := make([]any, 0, len(g.rows)*len(g.plan.fields))
	for _, r := range g.rows {
		args = append(args, r.args...)
	}
	return args
}

// insert runs an insert statement whose last rows are last, and sets the key the database
// chose for a lone last row, if it chose one.
func (d *DB) insert(ctx context.Context, tx bun.Tx, query string, args []any, last *rowGroup) error {
	if last.plan.withPK || len(last.rows) > 1 {
		return d.ExecTx(ctx, tx, query, args...)
	}
	var id int64
	if err := d.QueryRowTx(ctx, tx, query, args, &id); err != nil {
		return err
	}
	r := last.rows[0]
	r.plan.pk.Value(r.strct).SetInt(id)
	return nil
}

// rowInsert is one row to insert: its statement and its arguments.
type rowInsert struct {
	plan  *insertPlan
	args  []any
	strct reflect.Value
}

func (d *DB) rowInsert(tx bun.Tx, model any) (*rowInsert, error) {
	v := reflect.ValueOf(model)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("db: InsertRow wants a pointer to a struct, not %T", model)
	}
	strct := v.Elem()
	table := tx.Dialect().Tables().Get(strct.Type())
	var pk *schema.Field
	if len(table.PKs) == 1 && table.PKs[0].AutoIncrement {
		pk = table.PKs[0]
	}
	withPK := pk == nil || !pk.HasZeroValue(strct)
	plan, err := d.insertPlan(table, withPK, pk)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(plan.fields))
	for i, f := range plan.fields {
		if args[i], err = d.fieldArg(f, strct); err != nil {
			return nil, err
		}
	}
	return &rowInsert{plan: plan, args: args, strct: strct}, nil
}

func (d *DB) insertPlan(table *schema.Table, withPK bool, pk *schema.Field) (*insertPlan, error) {
	key := insertKey{table.Type, withPK}
	c := d.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.inserts[key]; ok {
		return p, nil
	}
	p := &insertPlan{withPK: withPK, pk: pk}
	var cols []string
	for _, f := range table.Fields {
		if f == pk && !withPK {
			continue
		}
		cols = append(cols, string(f.SQLName))
		p.fields = append(p.fields, f)
	}
	p.into = "INSERT INTO " + string(table.SQLName) + " (" + strings.Join(cols, ", ") + ") VALUES "
	p.values = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	if !withPK {
		p.returning = " RETURNING " + string(pk.SQLName)
	}
	c.inserts[key] = p
	return p, nil
}

// fieldArg is the argument for one column of a row, as bun would write it.
func (d *DB) fieldArg(f *schema.Field, strct reflect.Value) (any, error) {
	if f.NullZero && f.HasZeroValue(strct) {
		return nil, nil
	}
	fv := f.Value(strct)
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil, nil
		}
		fv = fv.Elem()
	}
	switch x := fv.Interface().(type) {
	case time.Time, json.RawMessage:
		return d.Arg(x), nil
	case string, int64, int, int32, bool, float64:
		return x, nil
	}
	return nil, fmt.Errorf("db: InsertRow: column %s of %s has type %s, which it cannot write as bun would", f.Name, f.Table.TypeName, fv.Type())
}
