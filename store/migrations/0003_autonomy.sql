-- Progressive autonomy and shadow mode.
--
-- autonomy_stages: the stage (1 supervised .. 5 policies only) per task kind and action type.
--   `record_from` is the track-record watermark: only decisions and reverts after it count toward
--   the next change (it moves to the newest evidence at every change). A pinned stage is set by a
--   person and is not recomputed until unpinned.
-- autonomy_changes: every stage change with the rule and evidence behind it (also audited as
--   audit_events kind `autonomy_changed`).
-- shadow_verdicts: for actions run in shadow, what the policy would have done and what the human
--   did, and whether they agree.

CREATE TABLE autonomy_stages (
    task_kind   text NOT NULL,
    action_type text NOT NULL,
    stage       integer NOT NULL CHECK (stage BETWEEN 1 AND 5),
    pinned      boolean NOT NULL DEFAULT false,
    record_from timestamptz NOT NULL DEFAULT '-infinity',
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  text NOT NULL DEFAULT 'system',
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (task_kind, action_type)
);

CREATE TABLE autonomy_changes (
    id          bigserial PRIMARY KEY,
    task_kind   text NOT NULL,
    action_type text NOT NULL,
    from_stage  integer NOT NULL,
    to_stage    integer NOT NULL CHECK (to_stage BETWEEN 1 AND 5),
    rule        text NOT NULL,
    actor       text NOT NULL,
    pinned      boolean NOT NULL,
    evidence    jsonb NOT NULL DEFAULT '{}'::jsonb,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX autonomy_changes_pair ON autonomy_changes (task_kind, action_type, id);

CREATE TABLE shadow_verdicts (
    shadow_key   text PRIMARY KEY,
    task_id      text NOT NULL,
    task_kind    text NOT NULL,
    action_type  text NOT NULL,
    step         integer NOT NULL,
    would_be     text NOT NULL,
    risk_tier    text NOT NULL,
    rules        jsonb NOT NULL DEFAULT '[]'::jsonb,
    outcome      text NOT NULL,
    agreement    text NOT NULL CHECK (agreement IN ('agree', 'too_lax', 'too_strict')),
    reviewers    text[] NOT NULL,
    policy_hash  text NOT NULL DEFAULT '',
    decided_at   timestamptz NOT NULL
);
CREATE INDEX shadow_verdicts_kind ON shadow_verdicts (task_kind, action_type, decided_at);
