"""Reading the audit trail back: one task's events in the order they happened."""

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import Field

from hitl.contracts.base import Contract

TASK_EVENTS = """
SELECT chain_pos, seq, kind, actor, occurred_at, recorded_at, data
FROM audit_events WHERE task_id = $1 ORDER BY occurred_at, chain_pos
"""


class StoredEvent(Contract):
    """One audit row as stored."""

    chain_pos: int
    seq: int
    kind: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


async def task_events(conn: asyncpg.Connection, task_id: str) -> list[StoredEvent]:
    """Every event of `task_id`, oldest first."""
    return [StoredEvent.model_validate(dict(r)) for r in await conn.fetch(TASK_EVENTS, task_id)]
