-- A ticket insert ran a row trigger per ticket, each writing its search row and its count
-- with a statement of its own through PL/pgSQL. Ticket creates are now written in batches,
-- one multi-row INSERT a batch, and these triggers run once per statement instead: one
-- insert for the batch's search rows, one for its counts, grouped (most tickets of a batch
-- share their status, priority, assignee, department and openness, so a batch adds one
-- row or a few to ticket_counts rather than one per ticket). Deletes likewise. Transition
-- tables need a trigger per event.
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format($f$
CREATE FUNCTION %1$I.tickets_inserted() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
    INSERT INTO %1$I.ticket_search (id, subject, reference)
        SELECT id, subject, coalesce(reference, '') FROM inserted;
    INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
        SELECT status, priority, assigned_to, department_id, is_open, count(*) FROM inserted
        GROUP BY status, priority, assigned_to, department_id, is_open;
    RETURN NULL;
END
$b$ $f$, s);
    EXECUTE format($f$
CREATE FUNCTION %1$I.tickets_deleted() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
    DELETE FROM %1$I.ticket_search WHERE id IN (SELECT id FROM deleted);
    INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
        SELECT status, priority, assigned_to, department_id, is_open, -count(*) FROM deleted
        GROUP BY status, priority, assigned_to, department_id, is_open;
    RETURN NULL;
END
$b$ $f$, s);
END
$$;
DROP TRIGGER tickets_inserted_or_deleted ON tickets;
DROP FUNCTION tickets_inserted_or_deleted();
CREATE TRIGGER tickets_inserted AFTER INSERT ON tickets REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_inserted();
CREATE TRIGGER tickets_deleted AFTER DELETE ON tickets REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_deleted();
