"""The audit hash chain, recomputed in Python: the same canonical text the database hashes.

See migrations/0002_audit_chain.sql for the definition. `verify_chain` walks the table in chain
order and returns the first row whose stored hash, link or position does not match.
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from hitl.contracts.audit import ChainBreak, ChainReport

VERSION = "hitl-audit-v1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CHAIN_ROWS = """
SELECT id, chain_pos, prev_hash, hash, event_key, task_id, workflow_id, seq, kind, actor,
       occurred_at, recorded_at, data::text AS data_text
FROM audit_events ORDER BY chain_pos
"""
"""`data::text` is jsonb's canonical form: what the trigger hashed, byte for byte."""

FETCH_ROWS = 1000


def micros(at: datetime) -> str:
    """Microseconds since the Unix epoch, as PostgreSQL's `audit_chain_micros` renders them."""
    return str((at - EPOCH) // timedelta(microseconds=1))


def row_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """The hex SHA-256 of one row chained to `prev_hash` (None for the first row)."""
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
    text = VERSION + "".join(f"|{len(value)}:{value}" for value in fields)
    return hashlib.sha256(text.encode()).hexdigest()


def check_row(expected_pos: int, prev_hash: str | None, row: Mapping[str, Any]) -> str | None:
    """Why `row` breaks the chain after a row hashed `prev_hash`, or None when it holds."""
    if row["chain_pos"] != expected_pos:
        return f"chain position {row['chain_pos']} where {expected_pos} was expected (rows removed?)"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous row's hash (a row before it was changed or removed)"
    if row["hash"] != row_hash(prev_hash, row):
        return "content does not match its hash (the row was changed)"
    return None


async def verify_chain(conn: asyncpg.Connection) -> ChainReport:
    """Recompute the whole chain; stop at the first broken row."""
    checked = 0
    prev: str | None = None
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(CHAIN_ROWS, prefetch=FETCH_ROWS):
            problem = check_row(checked + 1, prev, row)
            if problem is not None:
                return ChainReport(
                    rows=checked,
                    head=prev,
                    broken=ChainBreak(
                        id=row["id"],
                        chain_pos=row["chain_pos"],
                        event_key=row["event_key"],
                        task_id=row["task_id"],
                        kind=row["kind"],
                        problem=problem,
                    ),
                )
            checked += 1
            prev = row["hash"]
    return ChainReport(rows=checked, head=prev)
