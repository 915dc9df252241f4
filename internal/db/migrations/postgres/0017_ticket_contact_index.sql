-- A ticket opened for a contact (a guest, or an address a staff member typed) shows staff how
-- many tickets that contact has, as it does for a requester with an account.
CREATE INDEX tickets_contact_idx ON tickets (contact_id) WHERE contact_id IS NOT NULL;
