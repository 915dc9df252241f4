-- SLA policies, the SLA clock of each ticket, and snooze.

-- first_response_hours and resolution_hours are JSON objects with one number of hours per
-- priority ({"low": 24, ..., "critical": 0.25}), validated by the sla package before they are
-- written. At most one policy is the default (the partial unique index), and a policy in use
-- keeps its business schedule (the foreign key refuses the schedule's deletion).
CREATE TABLE sla_policies (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    first_response_hours TEXT NOT NULL DEFAULT '{}',
    resolution_hours     TEXT NOT NULL DEFAULT '{}',
    business_hours_only  BOOLEAN NOT NULL DEFAULT FALSE,
    business_schedule_id INTEGER REFERENCES business_schedules(id),
    is_default           BOOLEAN NOT NULL DEFAULT FALSE,
    is_active            BOOLEAN NOT NULL DEFAULT TRUE,
    pause_on_waiting     BOOLEAN NOT NULL DEFAULT TRUE,
    warning_minutes      INTEGER NOT NULL DEFAULT 30,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX sla_policies_default_key ON sla_policies (is_default) WHERE is_default = TRUE;
CREATE INDEX sla_policies_schedule_idx ON sla_policies (business_schedule_id);

-- A department's tickets get its policy; a department has at most one.
CREATE TABLE sla_policy_departments (
    department_id INTEGER PRIMARY KEY REFERENCES departments(id) ON DELETE CASCADE,
    policy_id     INTEGER NOT NULL REFERENCES sla_policies(id) ON DELETE CASCADE
);
CREATE INDEX sla_policy_departments_policy_idx ON sla_policy_departments (policy_id);

-- The ticket's policy and its SLA clock. sla_paused_at is when the clock stopped (waiting on
-- the customer, snoozed, resolved or closed) and is NULL while it runs; sla_paused_micros is
-- the clock time of the stops that have ended. The warned flags record that a target's
-- warning fired, as the breached flags do for breaches.
ALTER TABLE tickets ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies(id) ON DELETE SET NULL;
ALTER TABLE tickets ADD COLUMN sla_paused_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_paused_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_first_response_warned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN sla_resolution_warned BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX tickets_sla_policy_idx ON tickets (sla_policy_id);

-- The SLA sweep reads only the targets still running, by due date, so its cost follows the
-- tickets coming due rather than the open ones. Its queries repeat these conditions term for
-- term: SQLite uses a partial index only then.
CREATE INDEX tickets_first_response_due_idx ON tickets (first_response_due_at, id)
    WHERE first_response_at IS NULL AND sla_first_response_breached = FALSE
      AND sla_paused_at IS NULL AND sla_policy_id IS NOT NULL;
CREATE INDEX tickets_resolution_due_idx ON tickets (resolution_due_at, id)
    WHERE sla_resolution_breached = FALSE
      AND sla_paused_at IS NULL AND sla_policy_id IS NOT NULL;

-- The snooze wake-up sweep.
CREATE INDEX tickets_snoozed_idx ON tickets (snoozed_until) WHERE snoozed_until IS NOT NULL;
