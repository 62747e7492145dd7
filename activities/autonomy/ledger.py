"""The autonomy ledger: stages per task kind and action type, recomputed from the track record,
set or pinned by people (signed with a key pinned in the policy, verified here), every change
recorded with its evidence and audited.

A stage moves at most one step per recomputation, and the track record restarts after every
change (`record_from`), so one revert demotes once. Recomputation runs when a task loads its
context; the new stage applies to tasks started from then on.

No stage is raised on evidence that does not verify: before a promotion, earned or set by hand,
the evidence chain (feedback, audit events, stage changes) is recomputed and held to its
checkpoints (`store.chain.check_chain`); a chain that does not hold keeps the stage where it is.
Lowering a stage never waits for that.
"""

import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from activities.autonomy.evidence import AnchorSource, evidence_check, failure
from activities.autonomy.track_record import track_record
from hitl.contracts.autonomy import StageChangeEntry, StageEntry, StagePin
from policies.autonomy import POLICY_STAGE, AutonomyRules, StageChange, assess
from policies.identity import IdentityRules
from policies.stage_pin import check_pin

log = logging.getLogger(__name__)

LOCK_ROW = """
INSERT INTO autonomy_stages (task_kind, action_type, stage, reason)
VALUES ($1, $2, $3, 'initial stage') ON CONFLICT DO NOTHING
"""

INSERT_CHANGE = """
INSERT INTO autonomy_changes (task_kind, action_type, from_stage, to_stage, rule, actor, pinned, evidence)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, changed_at
"""

# audit_events is hash-chained by a database trigger (migrations 0002, 0007): a plain INSERT extends
# the chain. The event key names the ledger change, whose id is new: a row already under that key
# was put there by someone else, and the insert fails rather than skip the real event.
INSERT_AUDIT = """
INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)
VALUES ($1, $2, '', $3, 'autonomy_changed', $4, $5, $6)
"""


class UnknownStage(LookupError):
    """There is no ledger entry for that task kind and action type."""


class PinRefused(Exception):
    """A stage set by a person whose signature does not verify; `code` says why
    (`policies.stage_pin.check_pin`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def refresh(
    conn: asyncpg.Connection,
    task_kind: str,
    action_type: str,
    rules: AutonomyRules,
    anchors: AnchorSource | None = None,
) -> int:
    """Recompute one stage from its track record (unless pinned); return the stage in force.

    A promotion happens only when the evidence chain verifies against `anchors` (and the
    checkpoints in the database); otherwise the stage stays and a warning is logged.
    """
    async with conn.transaction():
        await conn.execute(LOCK_ROW, task_kind, action_type, rules.initial_stage)
        row = await conn.fetchrow(
            "SELECT stage, pinned, record_from FROM autonomy_stages"
            " WHERE task_kind = $1 AND action_type = $2 FOR UPDATE",
            task_kind,
            action_type,
        )
        assert row is not None
        stage: int = row["stage"]
        if row["pinned"]:
            # A pin holds against the track record, never above the policy's ceiling.
            return min(stage, rules.max_stage)
        # A policy may lower its ceiling: a stage above it drops at once.
        if stage > rules.max_stage:
            change = StageChange(
                from_stage=stage,
                to_stage=rules.max_stage,
                rule="policy.max_stage",
                evidence={"max_stage": rules.max_stage},
            )
            await _apply(conn, task_kind, action_type, change, "system", pinned=False, record_from=None)
            return change.to_stage
        record = await track_record(conn, task_kind, action_type, row["record_from"])
        earned = assess(stage, record, rules) if record else None
        if earned is None:
            return stage
        if earned.to_stage > stage:
            report = await evidence_check(conn, anchors)
            if not report.ok:
                log.warning(
                    "not promoting %s/%s to stage %s: the evidence does not verify (%s)",
                    task_kind,
                    action_type,
                    earned.to_stage,
                    failure(report),
                )
                return stage
        await _apply(conn, task_kind, action_type, earned, "system", pinned=False, record_from=record[-1].at)
        return earned.to_stage


async def stage_of(conn: asyncpg.Connection, task_kind: str, action_type: str, initial_stage: int) -> int:
    """The stage in force (the policy's initial stage while the pair has no entry)."""
    stage = await conn.fetchval(
        "SELECT stage FROM autonomy_stages WHERE task_kind = $1 AND action_type = $2", task_kind, action_type
    )
    return initial_stage if stage is None else int(stage)


async def set_stage(
    conn: asyncpg.Connection,
    pin: StagePin,
    identity: IdentityRules,
    *,
    initial_stage: int = POLICY_STAGE,
    now: datetime | None = None,
) -> StageChangeEntry:
    """A person sets (and unless `pin.pinned` is false, pins) a stage; the track record restarts.

    The pin must be signed by a key pinned for its actor in `identity` (the policy's
    `[identity.keys]`), before `pin.expires_at` by `now` (default: this machine's clock); the
    change records the verified key, the signature and its expiry in its evidence, so anyone can
    check who set it again later. `initial_stage` is the stage tasks decide at while the pair has
    no ledger entry (the policy's `[autonomy] initial_stage`): the change is recorded as from it.

    Raises:
        PinRefused: The pin is unsigned or its signature does not verify; nothing is written.
    """
    checked = check_pin(pin, identity, now or datetime.now(UTC))
    if checked.refused:
        raise PinRefused(checked.code, checked.message)
    async with conn.transaction():
        # Without an entry, tasks have decided at the policy's initial stage.
        await conn.execute(LOCK_ROW, pin.task_kind, pin.action_type, initial_stage)
        row = await conn.fetchrow(
            "SELECT stage FROM autonomy_stages WHERE task_kind = $1 AND action_type = $2 FOR UPDATE",
            pin.task_kind,
            pin.action_type,
        )
        assert row is not None
        evidence = {
            "reason": pin.reason,
            "verified": True,
            "principal": checked.principal,
            "signature": pin.signature,
            "expires_at": pin.expires_at,
        }
        change = StageChange(from_stage=row["stage"], to_stage=pin.stage, rule="set", evidence=evidence)
        return await _apply(
            conn,
            pin.task_kind,
            pin.action_type,
            change,
            pin.actor,
            pinned=pin.pinned,
            record_from=None,
            reason=pin.reason,
        )


async def unpin(
    conn: asyncpg.Connection, task_kind: str, action_type: str, *, actor: str
) -> StageChangeEntry:
    """Let the stage be recomputed again from the track record (from now on)."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT stage FROM autonomy_stages WHERE task_kind = $1 AND action_type = $2 FOR UPDATE",
            task_kind,
            action_type,
        )
        if row is None:
            raise UnknownStage(f"no autonomy stage for {task_kind}/{action_type}")
        change = StageChange(from_stage=row["stage"], to_stage=row["stage"], rule="unpin")
        return await _apply(conn, task_kind, action_type, change, actor, pinned=False, record_from=None)


async def stages(conn: asyncpg.Connection, task_kind: str | None = None) -> list[StageEntry]:
    """The ledger, optionally for one task kind."""
    rows = await conn.fetch(
        "SELECT task_kind, action_type, stage, pinned, changed_at, changed_by, reason FROM autonomy_stages"
        " WHERE $1::text IS NULL OR task_kind = $1 ORDER BY task_kind, action_type",
        task_kind,
    )
    return [StageEntry.model_validate(dict(r)) for r in rows]


async def changes(
    conn: asyncpg.Connection, task_kind: str | None = None, action_type: str | None = None
) -> list[StageChangeEntry]:
    """Recorded stage changes, oldest first."""
    rows = await conn.fetch(
        "SELECT id, task_kind, action_type, from_stage, to_stage, rule, actor, pinned, evidence, changed_at"
        " FROM autonomy_changes WHERE ($1::text IS NULL OR task_kind = $1)"
        " AND ($2::text IS NULL OR action_type = $2) ORDER BY id",
        task_kind,
        action_type,
    )
    return [StageChangeEntry.model_validate(dict(r)) for r in rows]


async def _apply(
    conn: asyncpg.Connection,
    task_kind: str,
    action_type: str,
    change: StageChange,
    actor: str,
    *,
    pinned: bool,
    record_from: datetime | None,
    reason: str = "",
) -> StageChangeEntry:
    """Write the new stage, the change row and its audit event, in the caller's transaction."""
    now = datetime.now(UTC)
    # The record restarts after the newest evidence, or now when a person acts.
    start = max(record_from, now) if record_from is not None else now
    await conn.execute(
        "UPDATE autonomy_stages SET stage = $3, pinned = $4, record_from = $5, changed_at = $6,"
        " changed_by = $7, reason = $8 WHERE task_kind = $1 AND action_type = $2",
        task_kind,
        action_type,
        change.to_stage,
        pinned,
        start,
        now,
        actor,
        reason or change.rule,
    )
    evidence: dict[str, Any] = dict(change.evidence)
    row = await conn.fetchrow(
        INSERT_CHANGE,
        task_kind,
        action_type,
        change.from_stage,
        change.to_stage,
        change.rule,
        actor,
        pinned,
        evidence,
    )
    assert row is not None
    await conn.execute(
        INSERT_AUDIT,
        f"autonomy/{row['id']}",
        f"autonomy:{task_kind}/{action_type}",
        row["id"],
        actor,
        row["changed_at"],
        {
            "task_kind": task_kind,
            "action_type": action_type,
            "from_stage": change.from_stage,
            "to_stage": change.to_stage,
            "rule": change.rule,
            "pinned": pinned,
            "evidence": evidence,
        },
    )
    return StageChangeEntry(
        id=row["id"],
        task_kind=task_kind,
        action_type=action_type,
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        rule=change.rule,
        actor=actor,
        pinned=pinned,
        evidence=evidence,
        changed_at=row["changed_at"],
    )
