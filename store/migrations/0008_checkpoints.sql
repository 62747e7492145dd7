-- Signed checkpoints of the evidence chain head (store/checkpoints.py). The signature is made with
-- an Ed25519 key kept outside the database; this table is a convenience copy (the workers also
-- append each checkpoint to an export file), append-only like the evidence it covers.
--
-- `body` is the exact text that was signed (canonical JSON with chain_pos, chain_hash, signed_at,
-- key_id); the other columns repeat it for queries. `hitl audit verify` trusts only body and
-- signature.

CREATE TABLE audit_checkpoints (
    id          bigserial PRIMARY KEY,
    chain_pos   bigint NOT NULL,
    chain_hash  text NOT NULL,
    signed_at   timestamptz NOT NULL,
    key_id      text NOT NULL,
    body        text NOT NULL,
    signature   text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_checkpoints_pos ON audit_checkpoints (chain_pos);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();
