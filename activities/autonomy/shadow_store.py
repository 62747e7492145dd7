"""The shadow-mode store: what a shadowed policy would have done next to what the human did."""

import asyncpg
from temporalio import activity

from hitl import activity_names
from hitl.contracts.shadow import AgreementRow, RecordShadowInput, RecordShadowResult

INSERT = """
INSERT INTO shadow_verdicts (shadow_key, task_id, task_kind, action_type, step, would_be, risk_tier,
    rules, outcome, agreement, reviewers, policy_hash, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (shadow_key) DO NOTHING
"""

REPORT = """
SELECT task_kind, action_type, count(*) AS decisions,
    count(*) FILTER (WHERE agreement = 'agree') AS agree,
    count(*) FILTER (WHERE agreement = 'too_lax') AS too_lax,
    count(*) FILTER (WHERE agreement = 'too_strict') AS too_strict
FROM shadow_verdicts
WHERE ($1::text IS NULL OR task_kind = $1) AND ($2::text IS NULL OR policy_hash = $2)
GROUP BY task_kind, action_type ORDER BY task_kind, action_type
"""


class ShadowStore:
    """Writes shadow verdicts through an injected pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name=activity_names.RECORD_SHADOW)
    async def record_shadow_verdict(self, request: RecordShadowInput) -> RecordShadowResult:
        """Store one comparison; a retried write stores nothing new."""
        r = request.record
        status = await self._pool.execute(
            INSERT,
            r.shadow_key,
            r.task_id,
            r.task_kind,
            r.action_type,
            r.step,
            r.would_be.value,
            r.risk_tier.value,
            [rule.model_dump(mode="json") for rule in r.rules],
            r.outcome,
            r.agreement,
            r.reviewers,
            r.policy_hash,
            r.decided_at,
        )
        return RecordShadowResult(inserted=status.endswith(" 1"))


async def agreement_report(
    conn: asyncpg.Connection, task_kind: str | None = None, policy_hash: str | None = None
) -> list[AgreementRow]:
    """Agreement counts per task kind and action type."""
    rows = await conn.fetch(REPORT, task_kind, policy_hash)
    return [AgreementRow.model_validate(dict(r)) for r in rows]
