-- A stored file belongs to one attachment row, so removing a row can never remove a file
-- another row still names.
CREATE UNIQUE INDEX attachments_storage_key_key ON attachments (storage_key);
-- Replies find their files, and deleting a reply cascades to them, through reply_id.
CREATE INDEX attachments_reply_idx ON attachments (reply_id);
