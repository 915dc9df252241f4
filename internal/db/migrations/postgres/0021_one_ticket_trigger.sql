-- A ticket insert called two trigger functions (its search row, its count) and then checked
-- ticket_search's foreign key back to the ticket: three trips through the executor per
-- create. One function now writes both rows on insert and, on delete, removes the search row
-- (which the foreign key's cascade did) and takes the ticket off the counts.
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format($f$
CREATE FUNCTION %1$I.tickets_inserted_or_deleted() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %1$I.ticket_search (id, subject, reference)
            VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
        INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (NEW.status, NEW.priority, NEW.assigned_to, NEW.department_id, NEW.is_open, 1);
    ELSE
        DELETE FROM %1$I.ticket_search WHERE id = OLD.id;
        INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (OLD.status, OLD.priority, OLD.assigned_to, OLD.department_id, OLD.is_open, -1);
    END IF;
    RETURN NULL;
END
$b$ $f$, s);
END
$$;
DROP TRIGGER tickets_search_ai ON tickets;
DROP TRIGGER tickets_counts_aid ON tickets;
CREATE TRIGGER tickets_inserted_or_deleted AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_inserted_or_deleted();
ALTER TABLE ticket_search DROP CONSTRAINT ticket_search_id_fkey;
