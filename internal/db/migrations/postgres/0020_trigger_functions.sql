-- The trigger functions of migration 0013 pinned their search_path (SET search_path FROM
-- CURRENT), so every call saved, set and restored it: about 7 % of PostgreSQL's processor
-- time on a ticket create. They now name their tables with the schema they were created in,
-- which keeps them independent of the caller's search_path without that cost (CREATE OR
-- REPLACE drops the old SET clause).
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.tickets_search_sync() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %1$I.ticket_search (id, subject, reference)
            VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
    ELSE
        UPDATE %1$I.ticket_search SET subject = NEW.subject, reference = coalesce(NEW.reference, '')
            WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$b$ $f$, s);
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.tickets_count_delta() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (OLD.status, OLD.priority, OLD.assigned_to, OLD.department_id, OLD.is_open, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO %1$I.ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (NEW.status, NEW.priority, NEW.assigned_to, NEW.department_id, NEW.is_open, 1);
    END IF;
    RETURN NULL;
END
$b$ $f$, s);
END
$$;
