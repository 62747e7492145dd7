-- Tamper-evident audit trail: every row is hash-chained to the one before it, and the table is
-- append-only. The chain is computed by the database itself (a BEFORE INSERT trigger), so any
-- writer, from any process, extends it; writers are serialized by a transaction-scoped advisory
-- lock, and a UNIQUE chain position turns any race the lock could miss into an error, never a fork.
--
-- Hash of a row (hex SHA-256) over a length-prefixed text, so that no field can leak into another:
--   'hitl-audit-v1' then, for each of
--   prev_hash ('' for the first row), chain_pos, event_key, task_id, workflow_id, seq, kind, actor,
--   occurred_at and recorded_at as microseconds since the Unix epoch, data as canonical JSON
--   (jsonb's text form: keys sorted, no duplicates, fixed spacing),
--   '|' || length(value) || ':' || value.
-- `hitl audit verify` recomputes the same text in Python (activities/store/chain.py).

ALTER TABLE audit_events
    ADD COLUMN chain_pos bigint,
    ADD COLUMN prev_hash text,
    ADD COLUMN hash      text;

CREATE FUNCTION audit_chain_part(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT '|' || length(value) || ':' || value $$;

CREATE FUNCTION audit_chain_micros(at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (extract(epoch FROM at) * 1000000)::bigint::text $$;

CREATE FUNCTION audit_chain_hash(prev text, r audit_events) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(
        'hitl-audit-v1'
        || audit_chain_part(coalesce(prev, ''))
        || audit_chain_part(r.chain_pos::text)
        || audit_chain_part(r.event_key)
        || audit_chain_part(r.task_id)
        || audit_chain_part(r.workflow_id)
        || audit_chain_part(r.seq::text)
        || audit_chain_part(r.kind)
        || audit_chain_part(r.actor)
        || audit_chain_part(audit_chain_micros(r.occurred_at))
        || audit_chain_part(audit_chain_micros(r.recorded_at))
        || audit_chain_part(r.data::text),
        'UTF8')), 'hex')
$$;

-- Rows written before this migration join the chain in id order.
DO $$
DECLARE
    r    audit_events;
    prev text := NULL;
    pos  bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_events ORDER BY id LOOP
        pos := pos + 1;
        r.chain_pos := pos;
        r.prev_hash := prev;
        r.hash := audit_chain_hash(prev, r);
        UPDATE audit_events SET chain_pos = r.chain_pos, prev_hash = r.prev_hash, hash = r.hash
        WHERE id = r.id;
        prev := r.hash;
    END LOOP;
END
$$;

ALTER TABLE audit_events
    ALTER COLUMN chain_pos SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT audit_events_chain_pos UNIQUE (chain_pos);

CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last audit_events;
BEGIN
    -- Held until commit: the next writer reads the chain head only after this row is visible.
    PERFORM pg_advisory_xact_lock(7240002);
    SELECT * INTO last FROM audit_events ORDER BY chain_pos DESC LIMIT 1;
    NEW.recorded_at := now();
    NEW.chain_pos := coalesce(last.chain_pos, 0) + 1;
    NEW.prev_hash := last.hash;
    NEW.hash := audit_chain_hash(last.hash, NEW);
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
