"""Reading a task kind and action type's track record: human decisions and reverts."""

from datetime import datetime
from typing import Any

import asyncpg

from policies.autonomy import TrackEntry, TrackKind
from policies.calibration import Calibration, calibration

DECISIONS = """
SELECT feedback_key, decided_at, outcome FROM feedback
WHERE task_kind = $1 AND action_type = $2 AND request_id LIKE 'approval-%'
  AND NOT by_fallback AND decided_at > $3
ORDER BY decided_at, feedback_key
"""

# Reverts are audit events of kind `reverted`; the task kind is on the task's `task_started` event.
REVERTS = """
SELECT r.event_key, r.occurred_at FROM audit_events r
JOIN audit_events s ON s.task_id = r.task_id AND s.kind = 'task_started'
WHERE r.kind = 'reverted' AND s.data->>'kind' = $1 AND r.data->>'tool' = $2 AND r.occurred_at > $3
ORDER BY r.occurred_at, r.event_key
"""

# A precedent is a human approval (as proposed or modified) of the action type in a task of the
# kind whose subject contains the given fields (the task's subject is on its `task_started` event).
PRECEDENTS = """
SELECT DISTINCT f.action_type FROM feedback f
JOIN audit_events s ON s.task_id = f.task_id AND s.kind = 'task_started'
WHERE f.task_kind = $1 AND f.action_type = ANY($2::text[]) AND f.outcome IN ('approve', 'modify')
  AND NOT f.by_fallback AND s.data->'subject' @> $3::jsonb
"""


# The report's calibration table (hitl/reporting/kpi.py): human decisions on approval requests.
CALIBRATION = """
SELECT action_type, confidence, outcome = 'approve' AS unchanged FROM feedback
WHERE task_kind = $1 AND action_type = ANY($2::text[]) AND request_kind = 'approval' AND NOT by_fallback
"""


async def track_record(
    conn: asyncpg.Connection, task_kind: str, action_type: str, since: datetime
) -> list[TrackEntry]:
    """Decisions and reverts after `since`, oldest first."""
    entries = [
        TrackEntry(at=r["decided_at"], kind=TrackKind.DECISION, outcome=r["outcome"], ref=r["feedback_key"])
        for r in await conn.fetch(DECISIONS, task_kind, action_type, since)
    ]
    entries += [
        TrackEntry(at=r["occurred_at"], kind=TrackKind.REVERT, ref=r["event_key"])
        for r in await conn.fetch(REVERTS, task_kind, action_type, since)
    ]
    return sorted(entries, key=lambda e: (e.at, e.ref))


async def novel_action_types(
    conn: asyncpg.Connection, task_kind: str, action_types: list[str], subject: dict[str, Any] | None = None
) -> list[str]:
    """Action types no human has approved (as proposed or modified) for this task kind, in a task
    whose subject has the values in `subject` (none: any task of the kind)."""
    known = {r["action_type"] for r in await conn.fetch(PRECEDENTS, task_kind, action_types, subject or {})}
    return [a for a in action_types if a not in known]


async def calibrations(
    conn: asyncpg.Connection, task_kind: str, action_types: list[str]
) -> dict[str, Calibration]:
    """Per action type, the confidence calibration table over every human decision on approval
    requests of this task kind (the KPI report's table)."""
    rows = await conn.fetch(CALIBRATION, task_kind, action_types)
    tables = {}
    for action_type in action_types:
        decisions = [(r["confidence"], r["unchanged"]) for r in rows if r["action_type"] == action_type]
        tables[action_type] = Calibration(
            action_type=action_type, decisions=len(decisions), buckets=calibration(decisions)
        )
    return tables
