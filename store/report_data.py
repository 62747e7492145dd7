"""The rows the KPI report is computed from: decisions, policy verdicts, escalations, reverts, open requests.

Grouping is by task kind and action type (tool). Audit events do not all carry both, so each
query joins the event that does: the task's `task_started` (kind) and the request's `gated` or
the step's `proposed` event (tool).
"""

from datetime import datetime

import asyncpg

from hitl.contracts.report import DecisionRow, EventCount, FeedbackFilter, ReportData

DECISIONS = """
SELECT task_kind, action_type, request_kind, outcome, by_fallback, reason_code, confidence,
       seconds_to_decision, decided_at, escalations, verified,
       CASE WHEN jsonb_typeof(proposed_args->'amount') = 'number'
            THEN (proposed_args->>'amount')::double precision END AS amount
FROM feedback
WHERE ($1::timestamptz IS NULL OR decided_at >= $1)
ORDER BY decided_at
"""

TASK_KIND = """
LEFT JOIN LATERAL (
    SELECT data->>'kind' AS kind FROM audit_events s
    WHERE s.task_id = e.task_id AND s.kind = 'task_started' ORDER BY s.chain_pos LIMIT 1
) t ON true
"""

VERDICTS = f"""
SELECT coalesce(t.kind, '?') AS task_kind, coalesce(p.tool, '?') AS action_type,
       e.data->>'mode' AS what, count(*) AS n
FROM audit_events e
{TASK_KIND}
LEFT JOIN LATERAL (
    SELECT data->>'tool' AS tool FROM audit_events p
    WHERE p.task_id = e.task_id AND p.kind = 'proposed' AND p.chain_pos < e.chain_pos
    ORDER BY p.chain_pos DESC LIMIT 1
) p ON true
WHERE e.kind = 'verdict' AND ($1::timestamptz IS NULL OR e.occurred_at >= $1)
GROUP BY 1, 2, 3
"""
"""Each `verdict` follows its `proposed` event in the same batch: the latest earlier proposal is it."""

REQUEST_EVENTS = f"""
SELECT coalesce(t.kind, '?') AS task_kind, coalesce(g.data->>'tool', '?') AS action_type,
       e.kind AS what, count(*) AS n
FROM audit_events e
{TASK_KIND}
LEFT JOIN LATERAL (
    SELECT data FROM audit_events g
    WHERE g.task_id = e.task_id AND g.kind = 'gated' AND g.data->>'request_id' = e.data->>'request_id'
    ORDER BY g.chain_pos DESC LIMIT 1
) g ON true
WHERE e.kind = 'escalated' AND ($1::timestamptz IS NULL OR e.occurred_at >= $1)
GROUP BY 1, 2, 3
UNION ALL
SELECT coalesce(t.kind, '?'), coalesce(e.data->>'tool', '?'), e.kind, count(*)
FROM audit_events e
{TASK_KIND}
WHERE e.kind = 'reverted' AND ($1::timestamptz IS NULL OR e.occurred_at >= $1)
GROUP BY 1, 2, 3
"""

OPEN_REQUESTS = f"""
SELECT coalesce(t.kind, '?') AS task_kind, coalesce(e.data->>'tool', '?') AS action_type,
       'open_' || coalesce(e.data->>'kind', 'approval') AS what, count(*) AS n
FROM audit_events e
{TASK_KIND}
WHERE e.kind = 'gated'
  AND NOT EXISTS (SELECT 1 FROM feedback f
                  WHERE f.task_id = e.task_id AND f.request_id = e.data->>'request_id')
  AND NOT EXISTS (SELECT 1 FROM audit_events x
                  WHERE x.task_id = e.task_id AND x.kind = 'task_finished')
GROUP BY 1, 2, 3
"""
"""Queue depth now (not limited by `since`): requests opened, not settled, in tasks still running."""


async def load_report_data(conn: asyncpg.Connection, where: FeedbackFilter, now: datetime) -> ReportData:
    """Read everything the report needs in one consistent snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        decisions = [DecisionRow.model_validate(dict(r)) for r in await conn.fetch(DECISIONS, where.since)]
        counts = [
            EventCount.model_validate(dict(r))
            for query in (VERDICTS, REQUEST_EVENTS)
            for r in await conn.fetch(query, where.since)
        ]
        counts += [EventCount.model_validate(dict(r)) for r in await conn.fetch(OPEN_REQUESTS)]

    def wanted(task_kind: str, action_type: str) -> bool:
        return (where.task_kind in (None, task_kind)) and (where.action_type in (None, action_type))

    return ReportData(
        generated_at=now,
        since=where.since,
        decisions=[d for d in decisions if wanted(d.task_kind, d.action_type)],
        counts=[c for c in counts if wanted(c.task_kind, c.action_type)],
    )
