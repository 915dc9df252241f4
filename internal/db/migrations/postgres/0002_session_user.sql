-- Sessions name their user, so deactivating a user can end every session they have.
-- Sessions saved before this migration have no user and end when they expire.
ALTER TABLE sessions ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX sessions_user_idx ON sessions (user_id);
