"""The audit and feedback writer: appends events and feedback rows, idempotently."""

import asyncpg
from temporalio import activity

from activities.store.audit_metrics import AuditMetrics
from hitl import activity_names
from hitl.contracts import AuditEvent, FeedbackRecord, RecordEventsInput, RecordEventsResult

INSERT_EVENT = """
INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_key) DO NOTHING
"""
"""A trigger chains the row (prev_hash, hash) under a lock: see migrations/0002_audit_chain.sql."""

INSERT_FEEDBACK = """
INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,
    proposed_args, final_args, reason_code, comment, confidence, reviewers, by_fallback,
    escalations, opened_at, decided_at, seconds_to_decision, policy_hash, request_kind, verified)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT (feedback_key) DO NOTHING
"""


class AuditActivities:
    """Writes the audit trail and the feedback store through an injected pool.

    With `metrics`, counts the rows it actually inserted (see `audit_metrics`).
    """

    def __init__(self, pool: asyncpg.Pool, metrics: AuditMetrics | None = None) -> None:
        self._pool = pool
        self._metrics = metrics

    @activity.defn(name=activity_names.RECORD_AUDIT)
    async def record_events(self, batch: RecordEventsInput) -> RecordEventsResult:
        """Append events and feedback in one transaction; already-recorded keys are skipped."""
        new_events: list[AuditEvent] = []
        new_feedback: list[FeedbackRecord] = []
        async with self._pool.acquire() as conn, conn.transaction():
            for e in batch.events:
                status = await conn.execute(
                    INSERT_EVENT,
                    e.event_key,
                    e.task_id,
                    e.workflow_id,
                    e.seq,
                    e.kind.value,
                    e.actor,
                    e.occurred_at,
                    e.data,
                )
                if status.endswith(" 1"):
                    new_events.append(e)
            for f in batch.feedback:
                status = await conn.execute(
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
                    (f.decided_at - f.opened_at).total_seconds(),
                    f.policy_hash,
                    f.request_kind,
                    f.verified,
                )
                if status.endswith(" 1"):
                    new_feedback.append(f)
        if self._metrics is not None:
            self._metrics.observe(new_events, new_feedback)
        return RecordEventsResult(inserted=len(new_events))
