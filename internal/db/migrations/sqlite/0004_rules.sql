-- Rules: macros (applied by an agent), escalation rules and automations (applied by the
-- desk on a schedule), what each rule last did to each ticket, and the notifications that
-- escalation rules leave for the mailer to send.

-- When the ticket was given to its current assignee, for hours_since_assigned. Tickets
-- assigned before this column existed take the time of their last assignment.
ALTER TABLE tickets ADD COLUMN assigned_at TEXT;
UPDATE tickets SET assigned_at = coalesce(
    (SELECT max(a.created_at) FROM ticket_activities a WHERE a.ticket_id = tickets.id AND a.type = 'assigned'),
    updated_at)
WHERE assigned_to IS NOT NULL;
CREATE INDEX tickets_assigned_at_idx ON tickets (assigned_at);
-- For hours_since_last_reply, which may be an automation's only condition.
CREATE INDEX tickets_last_reply_idx ON tickets (last_reply_at);

-- actions is a JSON list of {"type", "value"}, applied in order. A macro is personal to
-- created_by unless is_shared.
CREATE TABLE macros (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_shared   BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actions     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX macros_created_by_idx ON macros (created_by);

-- conditions is a JSON list of {"field", "value"} (automations add "operator"), all of which
-- must hold; actions as for macros. Active rules run in position order.
CREATE TABLE escalation_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    position    INTEGER NOT NULL DEFAULT 0,
    conditions  TEXT NOT NULL DEFAULT '[]',
    actions     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX escalation_rules_active_idx ON escalation_rules (is_active, position, id);

CREATE TABLE automations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    position    INTEGER NOT NULL DEFAULT 0,
    conditions  TEXT NOT NULL DEFAULT '[]',
    actions     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX automations_active_idx ON automations (is_active, position, id);

-- A rule acts on a ticket once until the ticket changes again: ticket_updated_at is the
-- ticket's updated_at after the rule acted (or tried to, when error says why it could not),
-- and the rule passes the ticket by while the ticket's updated_at is not later.
CREATE TABLE escalation_rule_applications (
    rule_id           INTEGER NOT NULL REFERENCES escalation_rules(id) ON DELETE CASCADE,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    ticket_updated_at TEXT NOT NULL,
    applied_at        TEXT NOT NULL,
    error             TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, ticket_id)
);
CREATE INDEX escalation_rule_applications_ticket_idx ON escalation_rule_applications (ticket_id);

CREATE TABLE automation_applications (
    rule_id           INTEGER NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    ticket_updated_at TEXT NOT NULL,
    applied_at        TEXT NOT NULL,
    error             TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, ticket_id)
);
CREATE INDEX automation_applications_ticket_idx ON automation_applications (ticket_id);

-- Notifications to desk users, written in the transaction of what caused them; the mailer
-- sends those whose sent_at is still empty.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ticket_id  INTEGER REFERENCES tickets(id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX notifications_unsent_idx ON notifications (id) WHERE sent_at IS NULL;
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
