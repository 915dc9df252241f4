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
