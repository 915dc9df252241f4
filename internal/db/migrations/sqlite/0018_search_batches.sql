-- Search indexing in batches (docs/decisions.md, "Ticket creates at 5,000 a second"). FTS5
-- writes an index segment whenever a savepoint or statement follows its changes, so indexing
-- each new ticket in its own create cost a segment (and its merges) per ticket. New tickets
-- are now indexed by ticket.Service.IndexSearch, many at a time; searches read the index for
-- the tickets up to indexed_through and match the few newer ones directly.
DROP TRIGGER tickets_search_ai;
DROP TRIGGER tickets_search_au;
DROP TRIGGER tickets_search_ad;

CREATE TABLE ticket_search_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL
);
INSERT INTO ticket_search_state (id, indexed_through)
    VALUES (1, (SELECT coalesce(max(rowid), 0) FROM ticket_search));
-- Tickets already indexed keep their entry in step; newer ones are read as they are when
-- their batch is indexed.
CREATE TRIGGER tickets_search_au AFTER UPDATE OF subject, reference ON tickets
WHEN (OLD.subject IS NOT NEW.subject OR OLD.reference IS NOT NEW.reference)
    AND OLD.id <= (SELECT indexed_through FROM ticket_search_state) BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
    INSERT INTO ticket_search (rowid, subject, reference)
        VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
END;
CREATE TRIGGER tickets_search_ad AFTER DELETE ON tickets
WHEN OLD.id <= (SELECT indexed_through FROM ticket_search_state) BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
END;
