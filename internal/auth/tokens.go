package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
)

// An API token lets a script use the REST API as its owner. Its plaintext (64 hex characters)
// is shown once; only its SHA-256 is stored. What it may do is worked out on every request as
// its abilities intersected with the owner's current rights: the owner's row is read on every
// request, so changing the owner's role changes the token at once; the permissions of each
// role come from memory (Service.rolePerms), so a role's permissions changed through this
// service count at once, and changed by another process within cache.TTL.

const (
	// tokenBytes is the token's length in random bytes: 256 bits, 64 hex characters.
	tokenBytes = 32
	// maxAbilities bounds one token's ability list; the vocabulary has fewer entries.
	maxAbilities = 100
	maxTokenName = 100
	// touchEvery is how stale a token's last_used_at may get before a request writes it
	// again: fresh enough to tell which tokens are in use, rare enough that reads stay reads.
	touchEvery = time.Minute
)

// AllAbilities is the ability that grants whatever the token's owner may do.
const AllAbilities = "*"

// APIToken is a row of api_tokens as it is shown: never with its hash.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:t"`

	ID         int64       `bun:"id,pk,autoincrement" json:"id"`
	UserID     int64       `bun:"user_id" json:"user_id"`
	Name       string      `bun:"name" json:"name"`
	TokenHash  string      `bun:"token_hash" json:"-"`
	Abilities  []string    `bun:"abilities" json:"abilities"`
	LastUsedAt *time.Time  `bun:"last_used_at" json:"last_used_at"`
	ExpiresAt  *time.Time  `bun:"expires_at" json:"expires_at"`
	CreatedAt  time.Time   `bun:"created_at" json:"created_at"`
	User       *TokenOwner `bun:"-" json:"user"`
}

// TokenOwner is the user a token acts as, as a token list shows them.
type TokenOwner struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// NewToken is a token to create. UserID defaults to the creator. ExpiresAt is a date
// (YYYY-MM-DD, meaning midnight UTC at its start) or an RFC 3339 time; nil never expires.
type NewToken struct {
	Name      string   `json:"name"`
	Abilities []string `json:"abilities"`
	UserID    *int64   `json:"user_id"`
	ExpiresAt *string  `json:"expires_at"`
}

// CreateToken makes a token and returns it with its plaintext, which is never available
// again. Staff may make tokens for themselves; making one for someone else needs
// api_token.manage and rights covering that person's role. A token never holds an ability
// its owner lacks.
func (s *Service) CreateToken(ctx context.Context, actor *Actor, in NewToken) (*APIToken, string, error) {
	if !actor.IsAgent() {
		return nil, "", apperr.Forbidden("Only staff may create API tokens.")
	}
	owner := actor.UserID
	if in.UserID != nil {
		owner = *in.UserID
	}
	if owner != actor.UserID && !actor.Can("api_token.manage") {
		return nil, "", apperr.Forbidden("You may not create API tokens for other users.")
	}
	now := s.clock.Now()
	in.Name = strings.TrimSpace(in.Name)
	var v apperr.Validation
	switch {
	case in.Name == "":
		v.Add("name", "The name field is required.")
	case utf8.RuneCountInString(in.Name) > maxTokenName || strings.ContainsRune(in.Name, 0) || !utf8.ValidString(in.Name):
		v.Addf("name", "The name must be at most %d valid characters.", maxTokenName)
	}
	switch {
	case len(in.Abilities) == 0:
		v.Add("abilities", "The abilities field must list at least one permission, or *.")
	case len(in.Abilities) > maxAbilities:
		v.Addf("abilities", "The abilities field may list at most %d entries.", maxAbilities)
	default:
		for i, a := range in.Abilities {
			if a != AllAbilities && !IsPermission(a) {
				v.Addf(fmt.Sprintf("abilities.%d", i), "abilities.%d must be a permission or *; %q is not one.", i, a)
			}
		}
	}
	var expires *time.Time
	if in.ExpiresAt != nil {
		t, ok := ParseExpiry(*in.ExpiresAt)
		switch {
		case !ok:
			v.Add("expires_at", "The expires_at must be a date (YYYY-MM-DD) or an RFC 3339 time.")
		case !t.After(now):
			v.Add("expires_at", "The expires_at must be in the future.")
		default:
			expires = &t
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}

	plain, hash := newToken()
	t := &APIToken{UserID: owner, Name: in.Name, TokenHash: hash, Abilities: normalizeAbilities(in.Abilities), ExpiresAt: expires, CreatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var users []User
		if err := tx.NewRaw(`SELECT * FROM users WHERE id = ?`, owner).Scan(ctx, &users); err != nil {
			return fmt.Errorf("auth: load token owner: %w", err)
		}
		if len(users) == 0 || !users[0].IsActive || users[0].Role == RoleCustomer {
			return apperr.Invalid("user_id", "The selected user_id is not an active agent or admin.")
		}
		u := users[0]
		if owner != actor.UserID {
			if err := mayManage(ctx, tx, actor, u.Role); err != nil {
				return err
			}
		}
		all, perms, err := rights(ctx, tx, u.Role)
		if err != nil {
			return err
		}
		if !all {
			var beyond apperr.Validation
			for i, a := range in.Abilities {
				if a != AllAbilities && !perms[a] {
					beyond.Addf(fmt.Sprintf("abilities.%d", i), "The token's owner does not hold %q, so the token cannot.", a)
				}
			}
			if err := beyond.Err(); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("auth: insert api token: %w", err)
		}
		t.User = &TokenOwner{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role}
		return audit.Record(ctx, tx, actor, "api_token.created", "api_token", t.ID, nil,
			map[string]any{"name": t.Name, "user_id": t.UserID, "abilities": t.Abilities, "expires_at": t.ExpiresAt}, now)
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// ParseExpiry reads an expiry: a date (YYYY-MM-DD, midnight UTC at its start) or an RFC 3339
// time. Times are kept to the microsecond, as the databases keep them.
func ParseExpiry(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Microsecond), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// newToken returns a fresh token and the hash that is stored for it.
func newToken() (plain, hash string) {
	b := make([]byte, tokenBytes)
	rand.Read(b) // crypto/rand.Read never fails; it crashes the program rather than return weak bytes
	plain = hex.EncodeToString(b)
	return plain, tokenHash(plain)
}

func tokenHash(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// normalizeAbilities drops repeats, and everything beside "*", which covers it all.
func normalizeAbilities(abilities []string) []string {
	if slices.Contains(abilities, AllAbilities) {
		return []string{AllAbilities}
	}
	return dedupe(abilities)
}

// rights returns what holders of role may do: everything (all) or the permissions in perms.
func rights(ctx context.Context, idb bun.IDB, role string) (all bool, perms map[string]bool, err error) {
	switch role {
	case RoleAdmin:
		return true, nil, nil
	case RoleCustomer:
		return false, map[string]bool{}, nil
	}
	list, err := rolePermissions(ctx, idb, role)
	if err != nil {
		return false, nil, err
	}
	perms = make(map[string]bool, len(list))
	for _, p := range list {
		perms[p] = true
	}
	return false, perms, nil
}

// TokenPage is one page of tokens and how many there are in all.
type TokenPage struct {
	Items []APIToken
	Total int
}

// ListTokens returns one page of tokens, newest first: every token for holders of
// api_token.view, otherwise the actor's own.
func (s *Service) ListTokens(ctx context.Context, actor *Actor, page, perPage int) (*TokenPage, error) {
	if !actor.IsAgent() {
		return nil, apperr.Forbidden("Only staff have API tokens.")
	}
	page, perPage = max(page, 1), min(max(perPage, 1), 100)
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if !actor.Can("api_token.view") {
			q = q.Where("t.user_id = ?", actor.UserID)
		}
		return q
	}
	total, err := where(s.db.R.NewSelect().TableExpr("api_tokens AS t")).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: count api tokens: %w", err)
	}
	var rows []struct {
		APIToken
		OwnerName  string `bun:"owner_name"`
		OwnerEmail string `bun:"owner_email"`
		OwnerRole  string `bun:"owner_role"`
	}
	err = where(s.db.R.NewSelect().TableExpr("api_tokens AS t").ColumnExpr("t.*").
		ColumnExpr("u.name AS owner_name, u.email AS owner_email, u.role AS owner_role").
		Join("JOIN users AS u ON u.id = t.user_id")).
		OrderExpr("t.id DESC").Limit(int64(perPage)).Offset(int64((page-1)*perPage)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("auth: list api tokens: %w", err)
	}
	out := &TokenPage{Items: make([]APIToken, len(rows)), Total: int(total)}
	for i, r := range rows {
		out.Items[i] = r.APIToken
		out.Items[i].User = &TokenOwner{ID: r.UserID, Name: r.OwnerName, Email: r.OwnerEmail, Role: r.OwnerRole}
	}
	return out, nil
}

// RevokeToken deletes a token, which is refused from then on. Staff may revoke their own;
// someone else's needs api_token.manage (and api_token.view to see it at all).
func (s *Service) RevokeToken(ctx context.Context, actor *Actor, id int64) error {
	if !actor.IsAgent() {
		return apperr.Forbidden("Only staff have API tokens.")
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var found []APIToken
		if err := tx.NewRaw(`SELECT * FROM api_tokens WHERE id = ?`+s.db.ForUpdate(), id).Scan(ctx, &found); err != nil {
			return fmt.Errorf("auth: load api token %d: %w", id, err)
		}
		if len(found) == 0 {
			return apperr.NotFound("API token")
		}
		t := found[0]
		if t.UserID != actor.UserID {
			if !actor.Can("api_token.view") {
				return apperr.NotFound("API token")
			}
			if !actor.Can("api_token.manage") {
				return apperr.Forbidden("You may not revoke other users' API tokens.")
			}
		}
		if _, err := tx.NewRaw(`DELETE FROM api_tokens WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("auth: delete api token %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "api_token.revoked", "api_token", id,
			map[string]any{"name": t.Name, "user_id": t.UserID, "abilities": t.Abilities}, nil, s.clock.Now())
	})
}

// Token returns the token an actor authenticated with.
func (s *Service) Token(ctx context.Context, actor *Actor) (*APIToken, error) {
	var found []APIToken
	if actor == nil || actor.TokenID == 0 {
		return nil, apperr.Unauthenticated()
	}
	if err := s.db.R.NewRaw(`SELECT * FROM api_tokens WHERE id = ?`, actor.TokenID).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("auth: load api token %d: %w", actor.TokenID, err)
	}
	if len(found) == 0 {
		return nil, apperr.Unauthenticated()
	}
	t := &found[0]
	t.User = &TokenOwner{ID: actor.UserID, Name: actor.Name, Email: actor.Email, Role: actor.Role}
	return t, nil
}

// tokenRow is what authenticating a token reads, in one query: the token and its owner.
type tokenRow struct {
	ID         int64      `bun:"id"`
	TokenHash  string     `bun:"token_hash"`
	Abilities  []string   `bun:"abilities"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	ExpiresAt  *time.Time `bun:"expires_at"`
	UserID     int64      `bun:"user_id"`
	Name       string     `bun:"name"`
	Email      string     `bun:"email"`
	Role       string     `bun:"role"`
	IsActive   bool       `bun:"is_active"`
}

// TokenActor returns the actor a bearer token acts as, holding the token's abilities that
// its owner holds now. A malformed, unknown, revoked or expired token, or one whose owner is
// inactive or no longer staff, is an unauthenticated error. It costs one prepared, indexed
// query, and a write at most once a minute to note the token's use; the permissions of the
// owner's role come from memory, as for a signed-in request (see actorOf).
func (s *Service) TokenActor(ctx context.Context, token, ip string) (*Actor, error) {
	if !wellFormed(token) {
		return nil, apperr.Unauthenticated()
	}
	hash := tokenHash(token)
	stmt, err := s.tokenLookup(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("auth: find api token: %w", err)
	}
	var row tokenRow
	if err := s.db.R.ScanRows(ctx, rows, &row); err != nil {
		return nil, fmt.Errorf("auth: read api token: %w", err)
	}
	if row.ID == 0 {
		return nil, apperr.Unauthenticated()
	}
	now := s.clock.Now()
	// The row was found by its hash, so this compare only guards against a lookup that
	// matched loosely; it is constant-time all the same.
	if subtle.ConstantTimeCompare([]byte(row.TokenHash), []byte(hash)) != 1 ||
		(row.ExpiresAt != nil && !now.Before(*row.ExpiresAt)) ||
		!row.IsActive || row.Role == RoleCustomer {
		return nil, apperr.Unauthenticated()
	}
	if row.LastUsedAt == nil || !row.LastUsedAt.After(now.Add(-touchEvery)) {
		// Requests racing past the read write once between them: the condition re-checks.
		_, err := s.db.W.NewRaw(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			now, row.ID, now.Add(-touchEvery)).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("auth: note api token use: %w", err)
		}
	}
	var owner []string
	if row.Role != RoleAdmin {
		all, err := s.rolePerms.Get(ctx, now, s.loadRolePermissions)
		if err != nil {
			return nil, err
		}
		owner = all[row.Role]
	}
	return &Actor{
		UserID: row.UserID, Name: row.Name, Email: row.Email, Role: row.Role, IP: ip, TokenID: row.ID,
		Permissions: effective(row.Abilities, row.Role == RoleAdmin, owner),
	}, nil
}

// tokenLookup returns the prepared query that authenticating a token runs, preparing it on
// first use: every API request runs it, and parsing and planning it each time would cost
// more than running it.
func (s *Service) tokenLookup(ctx context.Context) (*sql.Stmt, error) {
	if stmt := s.tokenStmt.Load(); stmt != nil {
		return stmt, nil
	}
	s.prepare.Lock()
	defer s.prepare.Unlock()
	if stmt := s.tokenStmt.Load(); stmt != nil {
		return stmt, nil
	}
	stmt, err := s.db.PrepareRead(ctx, `SELECT t.id, t.token_hash, t.abilities, t.last_used_at, t.expires_at,
			u.id AS user_id, u.name, u.email, u.role, u.is_active
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`)
	if err != nil {
		return nil, fmt.Errorf("auth: token look-up: %w", err)
	}
	s.tokenStmt.Store(stmt)
	return stmt, nil
}

// effective intersects a token's abilities with its owner's rights: everything (ownerAll) or
// the permissions listed in owner.
func effective(abilities []string, ownerAll bool, owner []string) map[string]bool {
	out := make(map[string]bool, len(abilities))
	for _, a := range abilities {
		switch {
		case a == AllAbilities && ownerAll:
			return map[string]bool{AllAbilities: true}
		case a == AllAbilities:
			for _, p := range owner {
				out[p] = true
			}
		case ownerAll || slices.Contains(owner, a):
			out[a] = true
		}
	}
	return out
}

// wellFormed reports whether s looks like a token the desk issued: 64 lower-case hex
// characters. Anything else is refused before it reaches the database.
func wellFormed(s string) bool {
	if len(s) != 2*tokenBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
