"""Feedback rows for export: each human decision with what the agent proposed and why.

Each row joins the agent's last proposal for that step from the audit trail (summary, reasoning,
sources), so an exported line stands on its own as a fine-tuning or prompt-update example.
"""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from hitl.contracts.report import FeedbackExample, FeedbackFilter
from hitl.reason_codes import describe

EXPORT = """
SELECT f.feedback_key, f.task_id, f.task_kind, f.request_id, f.request_kind, f.step, f.action_type,
       f.outcome, f.proposed_args, f.final_args, f.reason_code, f.comment, f.confidence, f.reviewers,
       f.by_fallback, f.escalations, f.opened_at, f.decided_at, f.seconds_to_decision, f.policy_hash,
       p.data->>'summary' AS summary, p.data->>'rationale' AS rationale,
       coalesce(p.data->'sources', '[]'::jsonb) AS sources
FROM feedback f
LEFT JOIN LATERAL (
    SELECT data FROM audit_events a
    WHERE a.task_id = f.task_id AND a.kind = 'proposed' AND a.data->>'step' = f.step::text
      AND a.occurred_at <= f.opened_at
    ORDER BY a.chain_pos DESC LIMIT 1
) p ON true
WHERE ($1::timestamptz IS NULL OR f.decided_at >= $1)
  AND ($2::text IS NULL OR f.task_kind = $2)
  AND ($3::text IS NULL OR f.action_type = $3)
  AND ($4::text IS NULL OR f.request_kind = $4)
  AND ($5::boolean OR NOT f.by_fallback)
ORDER BY f.decided_at, f.feedback_key
"""

FETCH_ROWS = 500


def changed_args(before: dict[str, Any], after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Arguments the reviewer changed, `{name: [proposed, final]}` (empty when nothing ran)."""
    if after is None:
        return {}
    names = sorted(set(before) | set(after))
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}


async def iter_feedback(conn: asyncpg.Connection, where: FeedbackFilter) -> AsyncIterator[FeedbackExample]:
    """Stream feedback rows matching `where`, oldest decision first."""
    async with conn.transaction(readonly=True):
        async for r in conn.cursor(
            EXPORT,
            where.since,
            where.task_kind,
            where.action_type,
            where.request_kind,
            where.include_fallbacks,
            prefetch=FETCH_ROWS,
        ):
            row = dict(r)
            yield FeedbackExample(
                **row,
                changed=changed_args(row["proposed_args"], row["final_args"]),
                reason=describe(row["reason_code"]),
            )
