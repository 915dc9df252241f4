-- Two-factor sign-in (TOTP) and the audit-log filters.

-- One row per user who has started or finished enrolment. secret is the TOTP secret sealed
-- with AES-GCM under a key derived from Config.SecretKey (internal/secretbox); confirmed_at
-- is NULL until a first code proves the authenticator works, and only then is 2FA on.
-- last_used_step is the highest 30-second time step a code has been accepted for, so a code
-- cannot be used twice.
CREATE TABLE user_two_factor (
    user_id        INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    confirmed_at   TEXT,
    last_used_step INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Recovery codes, stored as the SHA-256 of the normalised code; used_at marks a spent one.
CREATE TABLE two_factor_recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX two_factor_recovery_codes_key ON two_factor_recovery_codes (user_id, code_hash);

-- The audit-log list filters by action (exact or prefix) and by type, newest first.
CREATE INDEX audit_logs_action_idx ON audit_logs (action, created_at);
CREATE INDEX audit_logs_type_idx ON audit_logs (resource_type, created_at);
