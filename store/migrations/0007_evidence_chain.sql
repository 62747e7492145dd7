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

-- Every evidence row gets an id to be named by (autonomy_changes has one) and its chain columns.
ALTER TABLE feedback ADD COLUMN id bigserial, ADD CONSTRAINT feedback_id UNIQUE (id);
ALTER TABLE shadow_verdicts ADD COLUMN id bigserial, ADD CONSTRAINT shadow_verdicts_id UNIQUE (id);
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['feedback', 'autonomy_changes', 'shadow_verdicts'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN chain_pos bigint, ADD COLUMN prev_hash text,'
                       ' ADD COLUMN hash text', t);
    END LOOP;
END
$$;

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

-- Rows written before this migration join the chain after its current head, table by table,
-- in id order; then their chain columns become mandatory and unique.
DO $$
DECLARE
    head record;
    r    record;
    t    text;
    prev text;
    pos  bigint;
    h    text;
BEGIN
    SELECT * INTO head FROM evidence_chain_head();
    prev := head.hash;
    pos := coalesce(head.pos, 0);
    FOREACH t IN ARRAY ARRAY['feedback', 'autonomy_changes', 'shadow_verdicts'] LOOP
        FOR r IN EXECUTE format('SELECT id, to_jsonb(x) - ''{chain_pos,prev_hash,hash}''::text[] AS body'
                                ' FROM %I x ORDER BY id', t) LOOP
            pos := pos + 1;
            h := evidence_row_hash(prev, pos, t, r.body);
            EXECUTE format('UPDATE %I SET chain_pos = $1, prev_hash = $2, hash = $3 WHERE id = $4', t)
                USING pos, prev, h, r.id;
            prev := h;
        END LOOP;
        EXECUTE format('ALTER TABLE %I ALTER COLUMN chain_pos SET NOT NULL, ALTER COLUMN hash SET NOT NULL,'
                       ' ADD CONSTRAINT %I UNIQUE (chain_pos)', t, t || '_chain_pos');
    END LOOP;
END
$$;

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

-- Each evidence table: chained on insert, append-only after.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['feedback', 'autonomy_changes', 'shadow_verdicts'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION evidence_chain_link()', t || '_chain', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change()', t || '_no_truncate', t);
    END LOOP;
END
$$;
