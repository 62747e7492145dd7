"""The write-ahead audit batch rides with the action (`patches.AUDIT_RIDES_WITH_ACTION`): the tool's
own activity writes what led to it, then acts; no audit activity in between.

A small workflow drives the real `ToolRunner` and `AuditLog` against a probe toolset whose audit
writer is the real one on PostgreSQL, and can be told to fail: the batch must then be written
through the audit activity before the tool runs, and a tool that fails after the write loses
nothing from the trail.
"""

from datetime import timedelta

import asyncpg
import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store.audit import AuditActivities
from activities.tools.toolset import Toolset, tool
from hitl.activity_names import RECORD_AUDIT
from hitl.contracts import AuditKind, RecordEventsInput, RecordEventsResult, ToolCall, ToolResult
from hitl.contracts.base import Contract
from tests.support import unique
from workers.agent import SANDBOX
from workflows.audit_log import AuditLog
from workflows.tool_runner import ToolRunner

PROBE = "probe_tool"


class ProbeArgs(Contract):
    fail: bool = False


class ProbeTools(Toolset):
    """One tool that records what it saw; the audit writer records each batch and may refuse."""

    def __init__(self, pool: asyncpg.Pool, seen: list[str], refuse_writes: int = 0) -> None:
        real = AuditActivities(pool)
        self.seen = seen
        self.refuse_writes = refuse_writes

        async def writer(batch: RecordEventsInput) -> RecordEventsResult:
            kinds = ",".join(e.kind.value for e in batch.events)
            if self.refuse_writes > 0:
                self.refuse_writes -= 1
                self.seen.append(f"riding write refused {kinds}")
                raise RuntimeError("the audit writer failed")
            self.seen.append(f"riding write {kinds}")
            return await real.write(batch)

        super().__init__(pool, writer)

    @tool(PROBE, ProbeArgs, "Probe: records that it ran.")
    async def probe(self, call: ToolCall[ProbeArgs]) -> ToolResult:
        self.seen.append("tool")
        if call.args.fail:
            raise ApplicationError("the tool failed", non_retryable=True)
        return ToolResult(summary="ran")


class Writes(AuditActivities):
    """The audit activity, recording each batch it writes, then writing it for real."""

    def __init__(self, pool: asyncpg.Pool, seen: list[str]) -> None:
        super().__init__(pool)
        self.seen = seen

    @activity.defn(name=RECORD_AUDIT)
    async def record_events(self, batch: RecordEventsInput) -> RecordEventsResult:
        self.seen.append("audit activity " + ",".join(e.kind.value for e in batch.events))
        return await self.write(batch)


@workflow.defn(sandboxed=False)
class RidingProbe:
    """Records a decision, runs the probe tool, closes the trail."""

    @workflow.run
    async def run(self, fail: bool) -> None:
        audit = AuditLog(workflow.info().workflow_id)
        runner = ToolRunner(workflow.info().workflow_id, audit)
        audit.record(AuditKind.DECISION_ACCEPTED, "alice")
        try:
            await runner.run(ProbeTools.specs()[0], 1, {"fail": fail}, "agent")
        finally:
            audit.record(AuditKind.TASK_FINISHED, "system")
            await audit.close()


async def run_probe(
    env: WorkflowEnvironment, pool: asyncpg.Pool, *, fail: bool, refuse: int
) -> tuple[str, list[str]]:
    seen: list[str] = []
    tools = ProbeTools(pool, seen, refuse)
    writes = Writes(pool, seen)
    queue, workflow_id = unique("tq"), unique("probe")
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[RidingProbe],
        activities=[*tools.activities(), writes.record_events],
        workflow_runner=SANDBOX,
    ):
        handle = await env.client.start_workflow(
            RidingProbe.run, fail, id=workflow_id, task_queue=queue, execution_timeout=timedelta(minutes=1)
        )
        if fail:
            with pytest.raises(WorkflowFailureError):
                await handle.result()
        else:
            await handle.result()
    return workflow_id, seen


async def trail(pool: asyncpg.Pool, task_id: str) -> list[str]:
    rows = await pool.fetch("SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", task_id)
    return [r["kind"] for r in rows]


async def test_write_ahead_rides_with_the_tool_no_audit_activity_before_it(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    task_id, seen = await run_probe(ts_env, pool, fail=False, refuse=0)
    assert seen == ["riding write decision_accepted", "tool", "audit activity executed,task_finished"]
    assert await trail(pool, task_id) == ["decision_accepted", "executed", "task_finished"]


async def test_write_ahead_rides_a_batch_the_tool_could_not_write_goes_through_the_audit_activity_first(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    task_id, seen = await run_probe(ts_env, pool, fail=False, refuse=1)
    assert seen == [
        "riding write refused decision_accepted",  # the tool did not run
        "audit activity decision_accepted",
        "tool",
        "audit activity executed,task_finished",
    ]
    assert await trail(pool, task_id) == ["decision_accepted", "executed", "task_finished"]


async def test_write_ahead_rides_a_tool_failing_after_the_write_loses_nothing_from_the_trail(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    task_id, seen = await run_probe(ts_env, pool, fail=True, refuse=0)
    # The batch goes back to the queue and is written again with what follows: its rows are
    # skipped by their keys, none is lost or doubled.
    assert seen == [
        "riding write decision_accepted",
        "tool",
        "audit activity decision_accepted,task_finished",
    ]
    assert await trail(pool, task_id) == ["decision_accepted", "task_finished"]
