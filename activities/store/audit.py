"""The audit and feedback writer: appends events and feedback rows, idempotently, and reports the
chain head they reached (into workflow history: a witness outside the database)."""

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.store.audit_metrics import AuditMetrics
from activities.store.checkpointer import Checkpointer
from activities.store.evidence_writes import Written, write_event, write_feedback
from hitl import activity_names
from hitl.contracts import AuditEvent, FeedbackRecord, RecordEventsInput, RecordEventsResult
from hitl.errors import AUDIT_DATA_ERROR

DATA_ERRORS = (asyncpg.DataError, UnicodeError)
"""PostgreSQL's class 22 (a NUL in text or jsonb, an invalid byte sequence, a value out of range)
and text the driver cannot encode (a lone surrogate): the row itself is unwritable."""


class AuditActivities:
    """Writes the audit trail and the feedback store through an injected pool.

    With `metrics`, counts the rows it actually inserted (see `audit_metrics`); with
    `checkpointer`, signs the chain head when a checkpoint is due (see `checkpointer`).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        metrics: AuditMetrics | None = None,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._checkpointer = checkpointer

    @activity.defn(name=activity_names.RECORD_AUDIT)
    async def record_events(self, batch: RecordEventsInput) -> RecordEventsResult:
        """The audit activity: `write`."""
        return await self.write(batch)

    async def write(self, batch: RecordEventsInput) -> RecordEventsResult:
        """Append events and feedback in one transaction (also called by a tool activity before its
        action, for the batch that rides with it: `activities.tools.write_ahead`). A key already stored with the same
        content is skipped (a retry); with other content it is recorded as a `key_conflict`.

        Raises:
            ApplicationError: `AUDIT_DATA_ERROR`, non-retryable, when PostgreSQL refuses a row's
                content (`DATA_ERRORS`); nothing of the batch is written.
        """
        new_events: list[AuditEvent] = []
        new_feedback: list[FeedbackRecord] = []
        written: list[Written] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                for e in batch.events:
                    written.append(await write_event(conn, e))
                    if written[-1].new and not written[-1].conflict:
                        new_events.append(e)
                for f in batch.feedback:
                    written.append(await write_feedback(conn, f))
                    if written[-1].new and not written[-1].conflict:
                        new_feedback.append(f)
        except DATA_ERRORS as err:
            raise ApplicationError(
                f"PostgreSQL refused the batch's content: {type(err).__name__}",
                type=AUDIT_DATA_ERROR,
                non_retryable=True,
            ) from err
        if self._metrics is not None:
            self._metrics.observe(new_events, new_feedback)
        if self._checkpointer is not None:
            await self._checkpointer.wrote(sum(w.new for w in written))
        return RecordEventsResult(
            inserted=len(new_events),
            head=max((w.head for w in written), key=lambda h: h.pos, default=None),
            conflicts=sum(w.conflict for w in written),
        )
