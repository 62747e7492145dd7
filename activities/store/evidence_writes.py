"""Idempotent, conflict-checked inserts of audit events and feedback rows, in the caller's transaction.

A key stored with the same content is a retried write: nothing is added and the stored row's
chain position is returned. A key stored with different content means someone wrote it first
(a row pre-inserted under the next key, or a writer that is not deterministic): that is never
skipped silently. What arrived is recorded, whole, as a `key_conflict` event under a key derived
from its content (so a retry records it once), and `hitl audit verify` names it.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import asyncpg
from temporalio.exceptions import ApplicationError

from hitl.contracts import AuditEvent, AuditKind, ChainHead, FeedbackRecord
from hitl.errors import AUDIT_KEY_CONFLICT

INSERT_EVENT = """
INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_key) DO NOTHING RETURNING chain_pos AS pos, hash
"""
"""A trigger chains the row under a lock: see migrations/0002_audit_chain.sql and 0007."""

STORED_EVENT = """
SELECT chain_pos AS pos, hash, task_id, workflow_id, seq, kind, actor, occurred_at, data
FROM audit_events WHERE event_key = $1
"""

INSERT_FEEDBACK = """
INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,
    proposed_args, final_args, reason_code, comment, confidence, reviewers, by_fallback,
    escalations, opened_at, decided_at, seconds_to_decision, policy_hash, request_kind, verified)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT (feedback_key) DO NOTHING RETURNING chain_pos AS pos, hash
"""

STORED_FEEDBACK = """
SELECT chain_pos AS pos, hash, task_id, task_kind, request_id, request_kind, step, action_type,
    outcome, proposed_args, final_args, reason_code, comment, confidence, reviewers, by_fallback,
    escalations, opened_at, decided_at, policy_hash, verified
FROM feedback WHERE feedback_key = $1
"""


@dataclass(frozen=True)
class Written:
    """Where a row of the batch is in the chain, and whether this call added it."""

    head: ChainHead
    new: bool
    conflict: bool = False


async def write_event(conn: asyncpg.Connection, e: AuditEvent) -> Written:
    """Insert `e`, or find it already stored; a different stored row is a recorded conflict."""
    values = (e.task_id, e.workflow_id, e.seq, e.kind.value, e.actor, e.occurred_at, e.data)
    row = await conn.fetchrow(INSERT_EVENT, e.event_key, *values)
    if row is not None:
        return Written(ChainHead(pos=row["pos"], hash=row["hash"]), new=True)
    stored = await conn.fetchrow(STORED_EVENT, e.event_key)
    assert stored is not None, "ON CONFLICT found the key"
    fields = ("task_id", "workflow_id", "seq", "kind", "actor", "occurred_at", "data")
    if tuple(stored[f] for f in fields) == values:
        return Written(ChainHead(pos=stored["pos"], hash=stored["hash"]), new=False)
    if e.kind is AuditKind.KEY_CONFLICT:
        raise ApplicationError(
            f"audit key {e.event_key} is taken by other content, twice over",
            type=AUDIT_KEY_CONFLICT,
            non_retryable=True,
        )
    incoming = {"table": "audit_events", "event": e.model_dump(mode="json")}
    return await _record_conflict(conn, e.event_key, e, stored, incoming)


async def write_feedback(conn: asyncpg.Connection, f: FeedbackRecord) -> Written:
    """Insert `f`, or find it already stored; a different stored row is a recorded conflict."""
    seconds = (f.decided_at - f.opened_at).total_seconds()
    row = await conn.fetchrow(
        INSERT_FEEDBACK,
        f.feedback_key,
        f.task_id,
        f.task_kind,
        f.request_id,
        f.step,
        f.action_type,
        f.outcome,
        f.proposed_args,
        f.final_args,
        f.reason_code,
        f.comment,
        f.confidence,
        f.reviewers,
        f.by_fallback,
        f.escalations,
        f.opened_at,
        f.decided_at,
        seconds,
        f.policy_hash,
        f.request_kind,
        f.verified,
    )
    if row is not None:
        return Written(ChainHead(pos=row["pos"], hash=row["hash"]), new=True)
    stored = await conn.fetchrow(STORED_FEEDBACK, f.feedback_key)
    assert stored is not None, "ON CONFLICT found the key"
    # Every column the row has; a contract field newer than the table is not stored to compare.
    columns = set(stored.keys())
    mine = {name: value for name, value in f.model_dump().items() if name in columns}
    if {name: stored[name] for name in mine} == mine:
        return Written(ChainHead(pos=stored["pos"], hash=stored["hash"]), new=False)
    origin = AuditEvent(
        event_key="",
        task_id=f.task_id,
        workflow_id=f.task_id,
        seq=0,
        kind=AuditKind.KEY_CONFLICT,
        actor="system",
        occurred_at=f.decided_at,
    )
    incoming = {"table": "feedback", "feedback": f.model_dump(mode="json")}
    return await _record_conflict(conn, f"feedback/{f.feedback_key}", origin, stored, incoming)


async def _record_conflict(
    conn: asyncpg.Connection, key: str, origin: AuditEvent, stored: asyncpg.Record, incoming: dict[str, Any]
) -> Written:
    digest = hashlib.sha256(json.dumps(incoming, sort_keys=True).encode()).hexdigest()[:16]
    conflict = AuditEvent(
        event_key=f"{key}!conflict-{digest}",
        task_id=origin.task_id,
        workflow_id=origin.workflow_id,
        seq=origin.seq,
        kind=AuditKind.KEY_CONFLICT,
        actor="system",
        occurred_at=origin.occurred_at,
        data={"key": key, "stored": {"chain_pos": stored["pos"], "hash": stored["hash"]}, **incoming},
    )
    written = await write_event(conn, conflict)
    return Written(written.head, new=written.new, conflict=True)
