-- The agent queue over many tickets: a search index, an index for the priority order, and
-- list counts that never read the tickets table (docs/decisions.md, "Queue at 100,000 tickets").

-- Search: an FTS5 index of subject and reference with the trigram tokenizer, so a search for
-- any substring of three characters or more (case-insensitive) is answered from the index.
-- Contentless (the text stays only in tickets), with deletes by rowid. Triggers keep it in
-- step with tickets whatever writes them.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, reference, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO ticket_search (rowid, subject, reference)
    SELECT id, subject, coalesce(reference, '') FROM tickets;
CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject, reference)
        VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
END;
CREATE TRIGGER tickets_search_au AFTER UPDATE OF subject, reference ON tickets
WHEN OLD.subject IS NOT NEW.subject OR OLD.reference IS NOT NEW.reference BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
    INSERT INTO ticket_search (rowid, subject, reference)
        VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
END;
CREATE TRIGGER tickets_search_ad AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
END;

-- Sort by priority: the queue orders by this exact expression (ticket.priorityOrder); the
-- rowid (id) that ends every index entry is the tie-break.
CREATE INDEX tickets_priority_rank_idx ON tickets (
    (CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 WHEN 'critical' THEN 4 ELSE 5 END)
);

-- Counts: the number of tickets per (status, priority, assignee, department, open), kept as
-- signed deltas. Every ticket written adds rows (+1 for its new values, -1 for its old ones);
-- nothing is ever updated in place, so concurrent writers never wait on a counter row. A
-- count is the sum of the matching rows; the periodic job ticket.compact_counts folds the
-- rows into one per combination (ticket.Service.CompactCounts).
CREATE TABLE ticket_counts (
    status        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    assigned_to   INTEGER,
    department_id INTEGER,
    is_open       BOOLEAN NOT NULL,
    n             INTEGER NOT NULL
);
INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
    SELECT status, priority, assigned_to, department_id, is_open, count(*)
    FROM tickets GROUP BY status, priority, assigned_to, department_id, is_open;
CREATE TRIGGER tickets_counts_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
        VALUES (NEW.status, NEW.priority, NEW.assigned_to, NEW.department_id, NEW.is_open, 1);
END;
CREATE TRIGGER tickets_counts_au AFTER UPDATE OF status, priority, assigned_to, department_id, is_open ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority
    OR OLD.assigned_to IS NOT NEW.assigned_to OR OLD.department_id IS NOT NEW.department_id
    OR OLD.is_open IS NOT NEW.is_open BEGIN
    INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
        VALUES (OLD.status, OLD.priority, OLD.assigned_to, OLD.department_id, OLD.is_open, -1),
               (NEW.status, NEW.priority, NEW.assigned_to, NEW.department_id, NEW.is_open, 1);
END;
CREATE TRIGGER tickets_counts_ad AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
        VALUES (OLD.status, OLD.priority, OLD.assigned_to, OLD.department_id, OLD.is_open, -1);
END;
