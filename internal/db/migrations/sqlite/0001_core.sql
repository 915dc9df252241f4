-- Core schema: people, access, departments, tickets and everything a ticket change writes.

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_system   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE permissions (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    slug  TEXT NOT NULL UNIQUE,
    grp   TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role_id       INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permissions(id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);

-- role is 'customer' or the slug of a row in roles.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'customer',
    external_id   TEXT,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_external_id_key ON users (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     TEXT NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email));

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE department_agents (
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (department_id, user_id)
);
CREATE INDEX department_agents_user_idx ON department_agents (user_id);

-- Statuses: the eight built-in ones plus the admins' own, each in a category.
CREATE TABLE statuses (
    slug       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    category   TEXT NOT NULL,
    color      TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL DEFAULT 0,
    is_system  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE status_transitions (
    from_status TEXT NOT NULL REFERENCES statuses(slug) ON DELETE CASCADE,
    to_status   TEXT NOT NULL REFERENCES statuses(slug) ON DELETE CASCADE,
    PRIMARY KEY (from_status, to_status)
);

CREATE TABLE tickets (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    reference                   TEXT UNIQUE,
    subject                     TEXT NOT NULL,
    description                 TEXT NOT NULL DEFAULT '',
    status                      TEXT NOT NULL,
    priority                    TEXT NOT NULL,
    ticket_type                 TEXT NOT NULL DEFAULT 'question',
    channel                     TEXT NOT NULL DEFAULT 'web',
    requester_id                INTEGER REFERENCES users(id) ON DELETE SET NULL,
    contact_id                  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    assigned_to                 INTEGER REFERENCES users(id) ON DELETE SET NULL,
    department_id               INTEGER REFERENCES departments(id) ON DELETE SET NULL,
    is_open                     BOOLEAN NOT NULL DEFAULT TRUE,
    first_response_at           TEXT,
    first_response_due_at       TEXT,
    resolution_due_at           TEXT,
    sla_first_response_breached BOOLEAN NOT NULL DEFAULT FALSE,
    sla_resolution_breached     BOOLEAN NOT NULL DEFAULT FALSE,
    snoozed_until               TEXT,
    last_reply_at               TEXT,
    resolved_at                 TEXT,
    closed_at                   TEXT,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);
-- The agent queue: each filter leads an index that ends in the default sort key.
CREATE INDEX tickets_queue_idx ON tickets (updated_at, id);
CREATE INDEX tickets_status_idx ON tickets (status, updated_at);
CREATE INDEX tickets_priority_idx ON tickets (priority, updated_at);
CREATE INDEX tickets_assignee_idx ON tickets (assigned_to, updated_at);
CREATE INDEX tickets_department_idx ON tickets (department_id, updated_at);
CREATE INDEX tickets_type_idx ON tickets (ticket_type, updated_at);
CREATE INDEX tickets_open_idx ON tickets (is_open, assigned_to, sla_first_response_breached, sla_resolution_breached, updated_at);
CREATE INDEX tickets_requester_idx ON tickets (requester_id, updated_at);
CREATE INDEX tickets_created_idx ON tickets (created_at);
CREATE INDEX tickets_resolved_idx ON tickets (resolved_at);

CREATE TABLE replies (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    contact_id       INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    body             TEXT NOT NULL,
    is_internal_note BOOLEAN NOT NULL DEFAULT FALSE,
    is_pinned        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX replies_ticket_idx ON replies (ticket_id, id);

CREATE TABLE attachments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    reply_id          INTEGER REFERENCES replies(id) ON DELETE CASCADE,
    original_filename TEXT NOT NULL,
    mime_type         TEXT NOT NULL,
    size              INTEGER NOT NULL,
    storage_key       TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    color      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, tag_id)
);
CREATE INDEX ticket_tags_tag_idx ON ticket_tags (tag_id, ticket_id);

CREATE TABLE ticket_activities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    causer_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_activities_ticket_idx ON ticket_activities (ticket_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE audit_logs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   INTEGER,
    old_values    TEXT NOT NULL DEFAULT '{}',
    new_values    TEXT NOT NULL DEFAULT '{}',
    ip_address    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX audit_logs_created_idx ON audit_logs (created_at);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, created_at);
