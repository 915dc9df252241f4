-- Guest tickets: a ticket opened without an account is reached through a magic link whose
-- token is 64 letters and digits. Only the token's SHA-256 (lowercase hex) is stored, unique,
-- so a lookup hashes the token and finds its row through the index.
CREATE TABLE guest_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
CREATE INDEX guest_tokens_ticket_idx ON guest_tokens (ticket_id);

-- A guest acts as their contact: the audit log and the timeline name the contact, as they
-- name a user through actor_id and causer_id.
ALTER TABLE audit_logs ADD COLUMN actor_contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL;
ALTER TABLE ticket_activities ADD COLUMN causer_contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL;
