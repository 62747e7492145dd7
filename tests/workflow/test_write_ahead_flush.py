"""The write-ahead flush before an action writes what was recorded before it was called, and no more.

A decision's notice came back while the decision's audit write was in flight, and the refund
waited for a second audit write of that `notified` event (a workflow task and an activity more
between decision and refund: docs/performance.md). A small workflow drives the real `AuditLog`
against a recording audit activity whose write is slow, and an event is recorded mid-write.
"""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from hitl import activity_names
from hitl.contracts import AuditKind, RecordEventsInput, RecordEventsResult
from tests.support import unique
from workers.agent import SANDBOX
from workflows import patches
from workflows.audit_log import AuditLog

ACTION = "probe_action"


class Recorder:
    """The audit activity and the action, recording what each saw, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @activity.defn(name=activity_names.RECORD_AUDIT)
    async def record_events(self, batch: RecordEventsInput) -> RecordEventsResult:
        await asyncio.sleep(1.0)
        self.seen.append("write " + ",".join(e.kind.value for e in batch.events))
        return RecordEventsResult(inserted=len(batch.events))

    @activity.defn(name=ACTION)
    async def act(self) -> None:
        self.seen.append("action")


@workflow.defn(sandboxed=False)
class WriteAheadProbe:
    """Records a decision, flushes ahead of an action while a notice lands mid-write, acts, closes."""

    @workflow.run
    async def run(self) -> None:
        patches.decide()
        audit = AuditLog("probe-task")
        audit.record(AuditKind.DECISION_ACCEPTED, "alice")

        async def notice_lands() -> None:
            await workflow.sleep(timedelta(milliseconds=200))
            audit.record(AuditKind.NOTIFIED, "system")

        landing = asyncio.create_task(notice_lands())
        await audit.flush(ahead=True)
        await workflow.execute_activity(ACTION, start_to_close_timeout=timedelta(seconds=10))
        await landing
        await audit.close()


async def test_write_ahead_flush_does_not_wait_for_events_recorded_during_it(
    ts_env: WorkflowEnvironment,
) -> None:
    recorder = Recorder()
    queue = unique("tq")
    async with Worker(
        ts_env.client,
        task_queue=queue,
        workflows=[WriteAheadProbe],
        activities=[recorder.record_events, recorder.act],
        workflow_runner=SANDBOX,
    ):
        await ts_env.client.execute_workflow(
            WriteAheadProbe.run, id=unique("probe"), task_queue=queue, execution_timeout=timedelta(minutes=1)
        )
    # The decision is written before the action; the notice that landed during that write waits
    # for the next write, after the action.
    assert recorder.seen == ["write decision_accepted", "action", "write notified"]
