-- Business schedules: the open hours, in an IANA time zone, that SLA due dates count.
-- schedule holds the open intervals as JSON: [{"day": 1-7 (Monday first), "start": "HH:MM",
-- "end": "HH:MM" or "24:00"}], validated by the bizhours package before it is written.
CREATE TABLE business_schedules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    schedule   TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A holiday closes one calendar date in its schedule's zone or, when recurring, that month
-- and day every year.
CREATE TABLE business_holidays (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES business_schedules(id) ON DELETE CASCADE,
    date        TEXT NOT NULL,
    recurring   BOOLEAN NOT NULL DEFAULT FALSE,
    name        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX business_holidays_schedule_idx ON business_holidays (schedule_id, date);
