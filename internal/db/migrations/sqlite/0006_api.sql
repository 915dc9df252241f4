-- API tokens. Only the SHA-256 of a token is stored; the plaintext is shown once. abilities
-- is a JSON array of permission slugs, or ["*"]; what a token may do is worked out on each
-- request as its abilities intersected with its owner's current rights.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    abilities    TEXT NOT NULL DEFAULT '[]',
    last_used_at TEXT,
    expires_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);

-- The API's report summary counts open tickets by status and by priority from this index
-- alone, so its cost follows the open tickets, not the whole table.
CREATE INDEX tickets_open_status_idx ON tickets (is_open, status, priority);
