-- Webhooks: endpoints that receive ticket events, and the log of every delivery attempt.

-- events is a JSON list of webhook event names (ticket.created, ...). secret is the signing
-- secret sealed with AES-GCM under a key derived from Config.SecretKey (internal/secretbox)
-- and bound to the row's id: it must be read back to sign, so it cannot be hashed.
-- consecutive_failures counts failed attempts since the last success. The desk switches off
-- an endpoint that keeps failing: is_active becomes false and disabled_at and
-- disabled_reason say when and why.
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL DEFAULT '[]',
    secret               TEXT NOT NULL DEFAULT '',
    is_active            BOOLEAN NOT NULL DEFAULT TRUE,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    disabled_at          TEXT,
    disabled_reason      TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

-- One row per attempt to deliver a message. message_id is the Standard Webhooks webhook-id,
-- the same for every attempt and redelivery of one message. body is the exact JSON sent,
-- kept so an admin can send it again. manual marks redeliveries and test events, which
-- are tried once and do not count towards switching an endpoint off. status is 'delivered'
-- (a 2xx answer) or 'failed'; response_status is NULL when no answer came.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    manual           BOOLEAN NOT NULL DEFAULT FALSE,
    status           TEXT NOT NULL,
    response_status  INTEGER,
    latency_ms       INTEGER NOT NULL DEFAULT 0,
    response_excerpt TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
-- The log, newest first, all or by status; and "has anything succeeded since".
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (webhook_id, status, created_at);
