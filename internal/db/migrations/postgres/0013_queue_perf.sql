-- The agent queue over many tickets: a search index, an index for the priority order, and
-- list counts that never read the tickets table (docs/decisions.md, "Queue at 100,000 tickets").

-- Search: pg_trgm serves ILIKE '%…%' from a GIN index. The indexed text lives in a narrow
-- side table, ticket_search (id, subject, reference), kept by triggers: a search must recheck
-- every candidate row, and 5,000 matches among 100,000 tickets sit on 3,000 pages of tickets
-- but a few hundred of ticket_search.
--
-- The extension is database-wide, so it goes into the public schema (a desk's own schema may
-- be dropped with it; tests give each desk one), or into the desk's schema when the user may
-- not create in public, under a lock so two desks migrating at once do not race to create it.
-- The index names its operator class by the extension's schema, which need not be on the
-- desk's search_path. pg_trgm is a trusted extension: a user with CREATE on the database may
-- create it.
CREATE TABLE ticket_search (
    id        BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    subject   TEXT NOT NULL,
    reference TEXT NOT NULL
);
INSERT INTO ticket_search (id, subject, reference)
    SELECT id, subject, coalesce(reference, '') FROM tickets;
DO $$
DECLARE
    s text;
BEGIN
    PERFORM pg_advisory_xact_lock(8347262);
    SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF s IS NULL THEN
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')
                AND has_schema_privilege('public', 'CREATE') THEN
            CREATE EXTENSION pg_trgm WITH SCHEMA public;
            s := 'public';
        ELSE
            CREATE EXTENSION pg_trgm;
            SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'pg_trgm';
        END IF;
    END IF;
    EXECUTE format('CREATE INDEX ticket_search_trgm_idx ON ticket_search USING gin (subject %1$I.gin_trgm_ops, reference %1$I.gin_trgm_ops)', s);
END
$$;
CREATE FUNCTION tickets_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ticket_search (id, subject, reference)
            VALUES (NEW.id, NEW.subject, coalesce(NEW.reference, ''));
    ELSE
        UPDATE ticket_search SET subject = NEW.subject, reference = coalesce(NEW.reference, '')
            WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_search_sync();
CREATE TRIGGER tickets_search_au AFTER UPDATE OF subject, reference ON tickets
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.reference IS DISTINCT FROM NEW.reference)
    EXECUTE FUNCTION tickets_search_sync();

-- Sort by priority: the queue orders by this exact expression (ticket.priorityOrder), then id.
CREATE INDEX tickets_priority_rank_idx ON tickets (
    (CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 WHEN 'critical' THEN 4 ELSE 5 END),
    id
);

-- Counts: the number of tickets per (status, priority, assignee, department, open), kept as
-- signed deltas. Every ticket written adds rows (+1 for its new values, -1 for its old ones);
-- nothing is ever updated in place, so concurrent transactions never wait on a counter row's
-- lock until commit. A count is the sum of the matching rows; the periodic job
-- ticket.compact_counts folds the rows into one per combination
-- (ticket.Service.CompactCounts).
CREATE TABLE ticket_counts (
    status        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    assigned_to   BIGINT,
    department_id BIGINT,
    is_open       BOOLEAN NOT NULL,
    n             BIGINT NOT NULL
);
INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
    SELECT status, priority, assigned_to, department_id, is_open, count(*)
    FROM tickets GROUP BY status, priority, assigned_to, department_id, is_open;

CREATE FUNCTION tickets_count_delta() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (OLD.status, OLD.priority, OLD.assigned_to, OLD.department_id, OLD.is_open, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO ticket_counts (status, priority, assigned_to, department_id, is_open, n)
            VALUES (NEW.status, NEW.priority, NEW.assigned_to, NEW.department_id, NEW.is_open, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_counts_aid AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_count_delta();
CREATE TRIGGER tickets_counts_au AFTER UPDATE OF status, priority, assigned_to, department_id, is_open ON tickets
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority
        OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to OR OLD.department_id IS DISTINCT FROM NEW.department_id
        OR OLD.is_open IS DISTINCT FROM NEW.is_open)
    EXECUTE FUNCTION tickets_count_delta();
