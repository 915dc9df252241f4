package db

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
