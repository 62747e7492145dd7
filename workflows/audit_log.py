"""Write-ahead audit log for workflow code.

Workflow code records events into a buffer, written in batches through the audit activity:
callers `flush()` before every side effect and before the workflow returns, so the trail holds
what led to an action before the action happens. While the workflow waits for a human
(`waiting()`), events that signal and update handlers record are written at once, unless the
wait ends in the same workflow task: then they ride along with the write-ahead flush that
follows (one write, not two). Event keys are deterministic (workflow id, run id, sequence), so
a retried or replayed write never duplicates a row.

A write runs as a regular activity (`_write` says why not a local one), retried without limit
while the database is down. The write-ahead flush before an action (`flush(ahead=True)`) writes
what was recorded before it was called; events recorded while it writes (a notice's delivery, a
refused signal) ride with a later write instead of holding the action for another round trip
(`patches.WRITE_AHEAD_UP_TO_CALL`). Since `patches.AUDIT_RIDES_WITH_ACTION` the batch before an
action rides in the action's own activity input instead (`riding()`, `workflows.tool_runner`),
which writes it before it acts: one round trip where there were two. All I/O happens in
activities.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

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
    from hitl.errors import AUDIT_DATA_ERROR

from workflows import options, patches
from workflows.audit_substitute import storable_event, storable_feedback
from workflows.local_first import run_local_first


class AuditLog:
    """Buffers audit events and writes them, in order, through the audit activity."""

    def __init__(self, task_id: str) -> None:
        self._task_id = task_id
        self._buffer: list[AuditEvent] = []
        self._feedback: list[FeedbackRecord] = []
        self._seq = 0
        self._feedback_recorded = 0
        self._feedback_taken = 0
        self._lock = asyncio.Lock()
        self._closing = False
        self._waiting = 0
        self._flusher: asyncio.Task[None] | None = None
        self._held = False
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
        self._feedback_recorded += 1
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

    def hold(self) -> None:
        """Stop background writes (the task is about to continue as new and carries what is left)."""
        self._held = True

    @property
    def waiting_now(self) -> bool:
        """Some part of the task is waiting for a human (its events are written at once)."""
        return self._waiting > 0

    @property
    def idle(self) -> bool:
        """No write is in flight."""
        return not self._lock.locked()

    def carry(self) -> tuple[int, list[AuditEvent], list[FeedbackRecord]]:
        """The last sequence number and what is recorded but not yet written, for the next run."""
        return self._seq, list(self._buffer), list(self._feedback)

    def resume(
        self, seq: int, head: ChainHead | None, events: list[AuditEvent], feedback: list[FeedbackRecord]
    ) -> None:
        """Go on from an earlier run: its sequence, chain head and unwritten events (kept under their
        own keys, so a write the earlier run started is not repeated)."""
        self._seq, self.head = seq, head
        self._buffer = [*events, *self._buffer]
        self._feedback = [*feedback, *self._feedback]
        self._feedback_recorded += len(feedback)

    async def flush(self, *, background: bool = False, ahead: bool = False) -> None:
        """Write every queued event; returns once they are in the database (a background write
        stops early once `hold()` was called; a write-ahead one, `ahead`, once what was recorded
        before the call is written)."""
        events_upto, feedback_upto = self._seq, self._feedback_recorded
        async with self._lock:
            wrote = False
            while self._pending() and not (background and self._held):
                if (
                    ahead
                    and self._written_through(events_upto, feedback_upto)
                    and patches.on(patches.WRITE_AHEAD_UP_TO_CALL)
                ):
                    return
                if background and wrote and patches.on(patches.AUDIT_RIDES_WITH_ACTION):
                    # A decision that came with this write's result may have ended the wait:
                    # let the workflow task run on, and leave what is left to the action.
                    await workflow.wait_condition(lambda: True)
                    if self._waiting == 0:
                        return
                wrote = True
                events, feedback = self._take()
                batch = RecordEventsInput(events=events, feedback=feedback)
                try:
                    result = await self._write(batch)
                except ActivityError as err:
                    if not (isinstance(err.cause, ApplicationError) and err.cause.type == AUDIT_DATA_ERROR):
                        raise
                    # PostgreSQL refused some content: the same keys, escaped (workflows.audit_substitute).
                    result = await self._write(
                        RecordEventsInput(
                            events=[storable_event(e) for e in events],
                            feedback=[storable_feedback(f) for f in feedback],
                        )
                    )
                self.wrote(result)

    @contextlib.asynccontextmanager
    async def riding(self) -> AsyncIterator[RecordEventsInput | None]:
        """Take what is recorded, as the batch that rides with an action (`patches.AUDIT_RIDES_WITH_ACTION`).

        Waits for a write in flight (the chain holds a task's events in order); no other write
        starts until the block ends. The action's activity writes the batch before it acts and the
        caller reports what it reached with `wrote()`. When the block raises, the batch goes back
        to the front of the queue and the next write takes it (a part the activity wrote is
        skipped by its keys).
        """
        async with self._lock:
            events, feedback = self._take()
            try:
                yield RecordEventsInput(events=events, feedback=feedback) if events or feedback else None
            except BaseException:
                self._buffer = [*events, *self._buffer]
                self._feedback = [*feedback, *self._feedback]
                self._feedback_taken -= len(feedback)
                raise

    def _take(self) -> tuple[list[AuditEvent], list[FeedbackRecord]]:
        """Everything queued, for one batch; the queue is left empty."""
        events, self._buffer = self._buffer, []
        feedback, self._feedback = self._feedback, []
        self._feedback_taken += len(feedback)
        return events, feedback

    def wrote(self, result: RecordEventsResult) -> None:
        """A batch was written, reaching `result.head` (the witness this history keeps)."""
        self.head = result.head or self.head

    def _written_through(self, events_upto: int, feedback_upto: int) -> bool:
        """Every event up to sequence `events_upto` and the first `feedback_upto` feedback rows
        are written (or being written by a batch already taken)."""
        return all(e.seq > events_upto for e in self._buffer) and self._feedback_taken >= feedback_upto

    async def _write(self, batch: RecordEventsInput) -> RecordEventsResult:
        """Write one batch as a regular activity, scheduled when the workflow task completes.

        Never as a local activity in new runs: a local activity writes during the workflow task,
        so when its worker dies before the task completes, the row is in the database but not in
        history, and the retried task writes the same key with other content (its time, a
        decision taken again): a key conflict that breaks `hitl audit verify` (seen under
        `bench.faults` worker kills). Runs recorded with local writes keep them on replay.
        """
        first = batch.events[0].kind.value if batch.events else "feedback"
        call: dict[str, Any] = {
            "result_type": RecordEventsResult,
            "start_to_close_timeout": options.AUDIT_TIMEOUT,
            "retry_policy": options.AUDIT_RETRY,
            "summary": f"audit {first} (+{len(batch.events) + len(batch.feedback) - 1})",
        }
        if patches.on(patches.AUDIT_WRITES_THROUGH_SERVER):
            written: RecordEventsResult = await workflow.execute_activity(
                activity_names.RECORD_AUDIT, batch, heartbeat_timeout=options.AUDIT_HEARTBEAT, **call
            )
            return written
        result: RecordEventsResult = await run_local_first(
            activity_names.RECORD_AUDIT, batch, patch=patches.LOCAL_WRITES_AND_QUEUE_MEMO, **call
        )
        return result

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
            await workflow.wait_condition(
                lambda: (self._pending() and self._waiting > 0 and not self._held) or self._closing
            )
            if self._closing and not self._pending():
                return
            # Let the rest of this workflow task run first (conditions are checked once nothing
            # else can run): if the wait just ended, the flush before the next action takes these.
            if patches.on(patches.LOCAL_WRITES_AND_QUEUE_MEMO):
                await workflow.wait_condition(lambda: True)
                if self._waiting == 0 and not self._closing:
                    continue
            await self.flush(background=not self._closing)
