-- Privileges of the workers: the group role `hitl_writer` (the workers' login role is a member).
-- The role running migrations (the migrator) owns every table, trigger and function; the writers
-- can read everything, INSERT evidence rows (audit_events, feedback, autonomy_changes,
-- shadow_verdicts, audit_checkpoints) and nothing else on them: no UPDATE, DELETE or TRUNCATE, and
-- as non-owners they cannot ALTER the tables or DISABLE their triggers. They keep the demo tools'
-- DML on shop.* and ops.*, and the autonomy stage in force (autonomy_stages: INSERT, UPDATE), whose
-- every change is an autonomy_changes row in the chain.
--
-- Create `hitl_writer` before migrating when the migrator may not create roles (docs/security.md);
-- this migration creates it only when it is missing and the migrator is allowed to.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hitl_writer') THEN
        CREATE ROLE hitl_writer NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role hitl_writer does not exist and % may not create it', current_user
        USING HINT = 'as an administrator: CREATE ROLE hitl_writer NOLOGIN (docs/security.md)';
END
$$;

-- Nobody but the owner creates objects in this schema (PostgreSQL before 15 let PUBLIC do it).
-- A migrator that does not own the schema gets a warning here, not an error.
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema()); END $$;
DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO hitl_writer', current_schema()); END $$;
GRANT USAGE ON SCHEMA shop, ops TO hitl_writer;

DO $$ BEGIN EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO hitl_writer', current_schema()); END $$;
DO $$
BEGIN
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO hitl_writer',
                   current_schema());
END
$$;
GRANT INSERT ON audit_events, feedback, autonomy_changes, shadow_verdicts, audit_checkpoints
    TO hitl_writer;
GRANT INSERT, UPDATE ON autonomy_stages TO hitl_writer;
GRANT USAGE ON SEQUENCE audit_events_id_seq, feedback_id_seq, autonomy_changes_id_seq,
    shadow_verdicts_id_seq, audit_checkpoints_id_seq TO hitl_writer;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop, ops TO hitl_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hitl_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA ops GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hitl_writer;
