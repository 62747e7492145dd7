"""The evidence hash chain, recomputed in Python: the same canonical text the database hashes.

One chain runs through audit_events, feedback, autonomy_changes and shadow_verdicts (positions
1, 2, 3, ... across the tables). See migrations/0002_audit_chain.sql (audit rows, `hitl-audit-v1`)
and 0007_evidence_chain.sql (the other tables, `hitl-evidence-v1`). `verify_chain` walks the chain
in position order, stops at the first row whose position, link or content does not match, and
holds it to its anchors (store/anchors.py): signed checkpoints and heads witnessed elsewhere.
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from hitl.contracts.audit import AuditKind
from hitl.contracts.chain import ChainBreak, ChainReport, KeyConflict
from store.anchors import AnchorCheck, Anchors

VERSION = "hitl-audit-v1"
EVIDENCE_VERSION = "hitl-evidence-v1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

AUDIT_TABLE = "audit_events"

_BODY = "(to_jsonb({t}) - '{{chain_pos,prev_hash,hash}}'::text[])::text"

CHAIN_ROWS = f"""
SELECT 'audit_events' AS tbl, id, chain_pos, prev_hash, hash, event_key, task_id, workflow_id, seq,
       kind, actor, occurred_at, recorded_at, data::text AS data_text, NULL::text AS body
FROM audit_events
UNION ALL
SELECT 'feedback', f.id, f.chain_pos, f.prev_hash, f.hash, f.feedback_key, f.task_id, NULL, NULL,
       'feedback', NULL, NULL, NULL, NULL, {_BODY.format(t="f")}
FROM feedback f
UNION ALL
SELECT 'autonomy_changes', a.id, a.chain_pos, a.prev_hash, a.hash, 'autonomy_changes/' || a.id,
       'autonomy:' || a.task_kind || '/' || a.action_type, NULL, NULL, 'autonomy_change', NULL, NULL,
       NULL, NULL, {_BODY.format(t="a")}
FROM autonomy_changes a
UNION ALL
SELECT 'shadow_verdicts', s.id, s.chain_pos, s.prev_hash, s.hash, s.shadow_key, s.task_id, NULL,
       NULL, 'shadow_verdict', NULL, NULL, NULL, NULL, {_BODY.format(t="s")}
FROM shadow_verdicts s
ORDER BY chain_pos
"""
"""`data::text` and `to_jsonb(...)::text` are jsonb's canonical form: what the triggers hashed,
byte for byte, once the session's TimeZone is UTC as the trigger's is."""

FETCH_ROWS = 1000


def micros(at: datetime) -> str:
    """Microseconds since the Unix epoch, as PostgreSQL's `audit_chain_micros` renders them."""
    return str((at - EPOCH) // timedelta(microseconds=1))


def _digest(version: str, fields: list[str]) -> str:
    text = version + "".join(f"|{len(value)}:{value}" for value in fields)
    return hashlib.sha256(text.encode()).hexdigest()


def row_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """The hex SHA-256 of one audit_events row chained to `prev_hash` (None for the first row)."""
    fields = [
        prev_hash or "",
        str(row["chain_pos"]),
        row["event_key"],
        row["task_id"],
        row["workflow_id"],
        str(row["seq"]),
        row["kind"],
        row["actor"],
        micros(row["occurred_at"]),
        micros(row["recorded_at"]),
        row["data_text"],
    ]
    return _digest(VERSION, fields)


def evidence_hash(prev_hash: str | None, chain_pos: int, table: str, body: str) -> str:
    """The hex SHA-256 of a feedback, autonomy_changes or shadow_verdicts row (its canonical JSON)."""
    return _digest(EVIDENCE_VERSION, [prev_hash or "", str(chain_pos), table, body])


def expected_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """The hash a row of CHAIN_ROWS must have after a row hashed `prev_hash`."""
    if row["tbl"] == AUDIT_TABLE:
        return row_hash(prev_hash, row)
    return evidence_hash(prev_hash, row["chain_pos"], row["tbl"], row["body"])


def check_row(expected_pos: int, prev_hash: str | None, row: Mapping[str, Any]) -> str | None:
    """Why `row` breaks the chain after a row hashed `prev_hash`, or None when it holds."""
    if row["chain_pos"] != expected_pos:
        return f"chain position {row['chain_pos']} where {expected_pos} was expected (rows removed?)"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous row's hash (a row before it was changed or removed)"
    if row["hash"] != expected_hash(prev_hash, row):
        return "content does not match its hash (the row was changed)"
    return None


def _break(row: Mapping[str, Any], problem: str) -> ChainBreak:
    return ChainBreak(
        id=row["id"],
        chain_pos=row["chain_pos"],
        event_key=row["event_key"],
        task_id=row["task_id"],
        kind=row["kind"],
        problem=problem,
        table=row["tbl"],
    )


async def check_chain(conn: asyncpg.Connection, anchors: Anchors | None = None) -> ChainReport:
    """Recompute the whole chain in the caller's transaction; stop at the first broken row."""
    pins, problems = await (anchors or Anchors()).resolve(conn)
    check = AnchorCheck(pins)
    conflicts: list[KeyConflict] = []
    checked = 0
    prev: str | None = None
    await conn.execute("SET LOCAL TimeZone = 'UTC'")
    async for row in conn.cursor(CHAIN_ROWS, prefetch=FETCH_ROWS):
        problem = check_row(checked + 1, prev, row)
        if problem is not None:
            return ChainReport(
                rows=checked,
                head=prev,
                broken=_break(row, problem),
                checkpoint=check.held,
                checkpoint_problems=problems + check.problems,
                conflicts=conflicts,
            )
        checked += 1
        prev = row["hash"]
        check.row(checked, prev)
        if row["tbl"] == AUDIT_TABLE and row["kind"] == AuditKind.KEY_CONFLICT.value:
            key = row["event_key"].rpartition("!conflict-")[0]
            conflicts.append(KeyConflict(id=row["id"], chain_pos=checked, key=key, task_id=row["task_id"]))
    return ChainReport(
        rows=checked,
        head=prev,
        checkpoint=check.held,
        checkpoint_problems=problems + check.problems + check.missing(checked),
        conflicts=conflicts,
    )


async def verify_chain(conn: asyncpg.Connection, anchors: Anchors | None = None) -> ChainReport:
    """Recompute the whole chain in one read-only snapshot and hold it to `anchors` (and to the
    checkpoints stored in the database)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await check_chain(conn, anchors)
