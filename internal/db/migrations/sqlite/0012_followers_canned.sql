-- Ticket followers and canned responses.

-- A staff member who follows a ticket: told of its changes, and (for inbound mail) a sender
-- whose subject reference may thread onto it. One row per ticket and user.
CREATE TABLE ticket_followers (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_followers_user_idx ON ticket_followers (user_id, ticket_id);

-- A text an agent inserts into the reply composer. Personal to created_by unless is_shared;
-- category is a free label the list groups by.
CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT '',
    is_shared  BOOLEAN NOT NULL DEFAULT FALSE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX canned_responses_created_by_idx ON canned_responses (created_by);
