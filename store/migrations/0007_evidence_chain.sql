-- One hash chain over all evidence: audit_events, feedback, autonomy_changes and shadow_verdicts
-- share the chain positions 1, 2, 3, ... so that one head (position and hash) covers every row,
-- and one signed checkpoint (migration 0008) covers them all. The three evidence tables become
-- append-only like audit_events.
--
-- audit_events rows keep their hash (`hitl-audit-v1`, migration 0002). A row of another table is
-- hashed (hex SHA-256) over the same length-prefixed parts:
--   'hitl-evidence-v1' then prev_hash ('' for the first row), chain_pos, the table name, and the row
--   as canonical JSON: to_jsonb(row) without chain_pos, prev_hash and hash, rendered with
--   TimeZone = UTC (jsonb's text form: keys sorted, fixed spacing).
-- `hitl audit verify` recomputes both in Python (store/chain.py).
--
-- The chain functions run with a fixed search_path (this schema, pg_catalog, pg_temp last), so that
-- no object a writer can create (a temporary table named audit_events) changes what they read.

DO $$ BEGIN EXECUTE format('SET LOCAL search_path = %I, pg_catalog, pg_temp', current_schema()); END $$;
SET LOCAL TimeZone = 'UTC';

ALTER TABLE feedback ADD COLUMN id bigserial;
ALTER TABLE shadow_verdicts ADD COLUMN id bigserial;
ALTER TABLE feedback ADD CONSTRAINT feedback_id UNIQUE (id);
ALTER TABLE shadow_verdicts ADD CONSTRAINT shadow_verdicts_id UNIQUE (id);

ALTER TABLE feedback ADD COLUMN chain_pos bigint, ADD COLUMN prev_hash text, ADD COLUMN hash text;
ALTER TABLE autonomy_changes ADD COLUMN chain_pos bigint, ADD COLUMN prev_hash text, ADD COLUMN hash text;
ALTER TABLE shadow_verdicts ADD COLUMN chain_pos bigint, ADD COLUMN prev_hash text, ADD COLUMN hash text;

CREATE FUNCTION evidence_chain_head(OUT pos bigint, OUT hash text)
LANGUAGE sql VOLATILE AS $$
    SELECT h.chain_pos, h.hash FROM (
        (SELECT chain_pos, hash FROM audit_events ORDER BY chain_pos DESC LIMIT 1)
        UNION ALL
        (SELECT chain_pos, hash FROM feedback WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1)
        UNION ALL
        (SELECT chain_pos, hash FROM autonomy_changes WHERE chain_pos IS NOT NULL
         ORDER BY chain_pos DESC LIMIT 1)
        UNION ALL
        (SELECT chain_pos, hash FROM shadow_verdicts WHERE chain_pos IS NOT NULL
         ORDER BY chain_pos DESC LIMIT 1)
    ) h ORDER BY h.chain_pos DESC LIMIT 1
$$;
ALTER FUNCTION evidence_chain_head() SET search_path FROM CURRENT;

CREATE FUNCTION evidence_row_hash(prev text, pos bigint, tbl text, body jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(
        'hitl-evidence-v1'
        || audit_chain_part(coalesce(prev, ''))
        || audit_chain_part(pos::text)
        || audit_chain_part(tbl)
        || audit_chain_part(body::text),
        'UTF8')), 'hex')
$$;
ALTER FUNCTION evidence_row_hash(text, bigint, text, jsonb) SET search_path FROM CURRENT;

-- Rows written before this migration join the chain after its current head, table by table.
DO $$
DECLARE
    head record;
    r    record;
    prev text;
    pos  bigint;
    h    text;
BEGIN
    SELECT * INTO head FROM evidence_chain_head();
    prev := head.hash;
    pos := coalesce(head.pos, 0);
    FOR r IN SELECT * FROM feedback ORDER BY decided_at, feedback_key LOOP
        pos := pos + 1;
        h := evidence_row_hash(prev, pos, 'feedback', to_jsonb(r) - '{chain_pos,prev_hash,hash}'::text[]);
        UPDATE feedback SET chain_pos = pos, prev_hash = prev, hash = h WHERE feedback_key = r.feedback_key;
        prev := h;
    END LOOP;
    FOR r IN SELECT * FROM autonomy_changes ORDER BY id LOOP
        pos := pos + 1;
        h := evidence_row_hash(prev, pos, 'autonomy_changes',
                               to_jsonb(r) - '{chain_pos,prev_hash,hash}'::text[]);
        UPDATE autonomy_changes SET chain_pos = pos, prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
    FOR r IN SELECT * FROM shadow_verdicts ORDER BY id LOOP
        pos := pos + 1;
        h := evidence_row_hash(prev, pos, 'shadow_verdicts',
                               to_jsonb(r) - '{chain_pos,prev_hash,hash}'::text[]);
        UPDATE shadow_verdicts SET chain_pos = pos, prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
END
$$;

ALTER TABLE feedback
    ALTER COLUMN chain_pos SET NOT NULL, ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT feedback_chain_pos UNIQUE (chain_pos);
ALTER TABLE autonomy_changes
    ALTER COLUMN chain_pos SET NOT NULL, ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT autonomy_changes_chain_pos UNIQUE (chain_pos);
ALTER TABLE shadow_verdicts
    ALTER COLUMN chain_pos SET NOT NULL, ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT shadow_verdicts_chain_pos UNIQUE (chain_pos);

-- The writers' guard: the chain lock, then the head read in a fresh snapshot. Only READ COMMITTED
-- gives that snapshot (REPEATABLE READ would read the head as of its first statement and could fork
-- the chain across tables, which no single table's UNIQUE position would catch).
CREATE FUNCTION evidence_chain_lock() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'evidence rows are written in READ COMMITTED transactions only, not %',
            current_setting('transaction_isolation') USING ERRCODE = 'serialization_failure';
    END IF;
    -- Held until commit: the next writer reads the chain head only after this row is visible.
    PERFORM pg_advisory_xact_lock(7240002);
END
$$;
ALTER FUNCTION evidence_chain_lock() SET search_path FROM CURRENT;

CREATE OR REPLACE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head record;
BEGIN
    PERFORM evidence_chain_lock();
    SELECT * INTO head FROM evidence_chain_head();
    NEW.recorded_at := now();
    NEW.chain_pos := coalesce(head.pos, 0) + 1;
    NEW.prev_hash := head.hash;
    NEW.hash := audit_chain_hash(head.hash, NEW);
    RETURN NEW;
END
$$;
ALTER FUNCTION audit_chain_link() SET search_path FROM CURRENT;
ALTER FUNCTION audit_chain_hash(text, audit_events) SET search_path FROM CURRENT;

CREATE FUNCTION evidence_chain_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head record;
BEGIN
    PERFORM evidence_chain_lock();
    SELECT * INTO head FROM evidence_chain_head();
    NEW.chain_pos := coalesce(head.pos, 0) + 1;
    NEW.prev_hash := head.hash;
    NEW.hash := evidence_row_hash(head.hash, NEW.chain_pos, TG_TABLE_NAME,
                                  to_jsonb(NEW) - '{chain_pos,prev_hash,hash}'::text[]);
    RETURN NEW;
END
$$;
ALTER FUNCTION evidence_chain_link() SET search_path FROM CURRENT;
ALTER FUNCTION evidence_chain_link() SET TimeZone = 'UTC';

CREATE FUNCTION evidence_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER feedback_chain BEFORE INSERT ON feedback
    FOR EACH ROW EXECUTE FUNCTION evidence_chain_link();
CREATE TRIGGER autonomy_changes_chain BEFORE INSERT ON autonomy_changes
    FOR EACH ROW EXECUTE FUNCTION evidence_chain_link();
CREATE TRIGGER shadow_verdicts_chain BEFORE INSERT ON shadow_verdicts
    FOR EACH ROW EXECUTE FUNCTION evidence_chain_link();

CREATE TRIGGER feedback_append_only BEFORE UPDATE OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER feedback_no_truncate BEFORE TRUNCATE ON feedback
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER autonomy_changes_append_only BEFORE UPDATE OR DELETE ON autonomy_changes
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER autonomy_changes_no_truncate BEFORE TRUNCATE ON autonomy_changes
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER shadow_verdicts_append_only BEFORE UPDATE OR DELETE ON shadow_verdicts
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER shadow_verdicts_no_truncate BEFORE TRUNCATE ON shadow_verdicts
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();
