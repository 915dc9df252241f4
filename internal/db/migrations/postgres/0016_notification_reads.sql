-- Notifications become an inbox: staff read them in the desk and mark them read.
ALTER TABLE notifications ADD COLUMN read_at TIMESTAMPTZ;
-- The unread count every staff page shows, and the unread filter of the inbox.
CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;
