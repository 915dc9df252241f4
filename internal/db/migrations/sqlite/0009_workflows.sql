-- Workflows: event-driven rules. Each runs when an event of its trigger happens to a ticket
-- and its conditions hold, and makes its actions through the ticket service. The run log
-- keeps every evaluation; auto-close reads resolved tickets by when they were resolved.

-- conditions is {"match": "all"|"any", "rules": [{"field", "operator", "value"}]}; actions a
-- JSON list of {"type", "value"} run in order. version counts saves, so a process can keep
-- a workflow's compiled conditions until it changes.
CREATE TABLE workflows (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    trigger_event TEXT NOT NULL,
    conditions    TEXT NOT NULL DEFAULT '{"match":"all","rules":[]}',
    actions       TEXT NOT NULL DEFAULT '[]',
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    position      INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX workflows_trigger_idx ON workflows (is_active, trigger_event, position, id);

-- One row per workflow evaluated for an event. status is not_matched, completed, failed,
-- delayed (the actions after a delay wait for their job) or stopped. actions lists what each
-- action did. job_id is the evaluating job's, so a retried job does not run a workflow twice;
-- next_action is where a delayed run goes on.
CREATE TABLE workflow_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    ticket_id   INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    event       TEXT NOT NULL,
    matched     BOOLEAN NOT NULL,
    status      TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    actions     TEXT NOT NULL DEFAULT '[]',
    depth       INTEGER NOT NULL DEFAULT 0,
    job_id      INTEGER,
    next_action INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX workflow_runs_workflow_idx ON workflow_runs (workflow_id, id);
CREATE UNIQUE INDEX workflow_runs_job_key ON workflow_runs (workflow_id, job_id);
CREATE INDEX workflow_runs_ticket_idx ON workflow_runs (ticket_id);

-- Auto-close looks for tickets still resolved, oldest resolution first. resolved_at stays
-- set on closed tickets, so the index on it alone would lead it through every ticket ever
-- closed; this one holds the resolved ones together, in the order auto-close reads them.
CREATE INDEX tickets_status_resolved_idx ON tickets (status, resolved_at, id);
