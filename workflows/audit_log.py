"""Write-ahead audit log for workflow code.

Workflow code records events into a buffer, written in batches through the audit activity:
callers `flush()` before every side effect and before the workflow returns, so the trail holds
what led to an action before the action happens. While the workflow waits for a human
(`waiting()`), events that signal and update handlers record are written at once. Event keys are deterministic
(workflow id, run id, sequence), so a retried or replayed write never duplicates a row.
All I/O happens in activities.
"""

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import (
        AuditEvent,
        AuditKind,
        ChainHead,
        FeedbackRecord,
        RecordEventsInput,
        RecordEventsResult,
    )

from workflows import options


class AuditLog:
    """Buffers audit events and writes them, in order, through the audit activity."""

    def __init__(self, task_id: str) -> None:
        self._task_id = task_id
        self._buffer: list[AuditEvent] = []
        self._feedback: list[FeedbackRecord] = []
        self._seq = 0
        self._lock = asyncio.Lock()
        self._closing = False
        self._waiting = 0
        self._flusher: asyncio.Task[None] | None = None
        self.head: ChainHead | None = None
        """The chain head the last write reached, as recorded in this workflow's history."""

    def record(self, kind: AuditKind, actor: str, /, **data: Any) -> None:
        """Queue one event; it is written by the next flush."""
        info = workflow.info()
        self._seq += 1
        self._buffer.append(
            AuditEvent(
                event_key=f"{info.workflow_id}/{info.run_id}/{self._seq}",
                task_id=self._task_id,
                workflow_id=info.workflow_id,
                seq=self._seq,
                kind=kind,
                actor=actor,
                occurred_at=workflow.now(),
                data=data,
            )
        )
        self._ensure_flusher()

    def feedback(self, record: FeedbackRecord) -> None:
        """Queue one feedback row; it is written with the next batch of events."""
        self._feedback.append(record)
        self._ensure_flusher()

    def _ensure_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_while_waiting())

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Within this block (a wait for a human), write recorded events without delay."""
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1

    def _pending(self) -> bool:
        return bool(self._buffer or self._feedback)

    async def flush(self) -> None:
        """Write every queued event; returns once they are in the database."""
        async with self._lock:
            while self._pending():
                events, self._buffer = self._buffer, []
                feedback, self._feedback = self._feedback, []
                first = events[0].kind.value if events else "feedback"
                result = await workflow.execute_activity(
                    activity_names.RECORD_AUDIT,
                    RecordEventsInput(events=events, feedback=feedback),
                    result_type=RecordEventsResult,
                    start_to_close_timeout=options.AUDIT_TIMEOUT,
                    heartbeat_timeout=options.AUDIT_HEARTBEAT,
                    retry_policy=options.AUDIT_RETRY,
                    summary=f"audit {first} (+{len(events) + len(feedback) - 1})",
                )
                self.head = result.head or self.head

    async def close(self) -> None:
        """Flush what is left and stop the background writer."""
        self._closing = True
        await self.flush()
        if self._flusher is not None:
            await self._flusher

    async def _flush_while_waiting(self) -> None:
        # Outside waits, events ride along with the next write-ahead flush: one audit activity
        # per side effect rather than one per event.
        while True:
            await workflow.wait_condition(lambda: (self._pending() and self._waiting > 0) or self._closing)
            if self._closing and not self._pending():
                return
            await self.flush()
