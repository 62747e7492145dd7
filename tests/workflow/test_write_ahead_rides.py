"""The write-ahead audit batch rides with the action (`patches.AUDIT_RIDES_WITH_ACTION`): the tool's
own activity writes what led to it, then acts; no audit activity in between.

A small workflow drives the real `ToolRunner` and `AuditLog` against a probe toolset whose audit
writer is the real one on PostgreSQL, and can be told to fail: the batch must then be written
through the audit activity before the tool runs, and a tool that fails after the write loses
nothing from the trail.
"""

import asyncio
from collections.abc import Callable
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
from activities.tools.write_ahead import WriteAheadInterceptor
from hitl.activity_names import RECORD_AUDIT
from hitl.contracts import AuditKind, ChainHead, RecordEventsInput, RecordEventsResult, ToolCall, ToolResult
from hitl.contracts.base import Contract
from hitl.errors import AUDIT_UNWRITTEN
from tests.support import assert_eventually, unique
from workers.agent import SANDBOX
from workflows import patches
from workflows.audit_log import AuditLog
from workflows.tool_runner import ToolRunner

PROBE = "probe_tool"


class ProbeArgs(Contract):
    mode: str = "ok"
    """`ok`; `slow` (1.5 s); `fail` (fails after it ran); `reserved` (raises a type only the
    write-ahead may)."""


class ProbeTools(Toolset):
    """One tool that records what it saw."""

    seen: list[str] = []

    @tool(PROBE, ProbeArgs, "Probe: records that it ran.")
    async def probe(self, call: ToolCall[ProbeArgs]) -> ToolResult:
        self.seen.append("tool" if call.audit is None else "tool saw the batch")
        if call.args.mode == "slow":
            await asyncio.sleep(1.5)
            self.seen.append("tool done")
        if call.args.mode == "fail":
            raise ApplicationError("the tool failed", non_retryable=True)
        if call.args.mode == "reserved":
            raise ApplicationError("not really", type=AUDIT_UNWRITTEN, non_retryable=True)
        return ToolResult(summary="ran")


class RidingWriter:
    """The agent worker's audit writer for riding batches: records each batch and may refuse."""

    def __init__(self, pool: asyncpg.Pool, seen: list[str], refuse: int = 0) -> None:
        self.real = AuditActivities(pool)
        self.seen = seen
        self.refuse = refuse

    async def write(self, batch: RecordEventsInput) -> RecordEventsResult:
        kinds = ",".join(e.kind.value for e in batch.events)
        if self.refuse > 0:
            self.refuse -= 1
            self.seen.append(f"riding write refused {kinds}")
            raise RuntimeError("the audit writer failed")
        self.seen.append(f"riding write {kinds}")
        return await self.real.write(batch)


class Writes(AuditActivities):
    """The audit activity, recording each batch it writes, then writing it for real (slowly, with
    `slow`)."""

    def __init__(self, pool: asyncpg.Pool, seen: list[str], slow: bool = False) -> None:
        super().__init__(pool)
        self.seen = seen
        self.slow = slow

    @activity.defn(name=RECORD_AUDIT)
    async def record_events(self, batch: RecordEventsInput) -> RecordEventsResult:
        self.seen.append("audit activity " + ",".join(e.kind.value for e in batch.events))
        if self.slow:
            await asyncio.sleep(1.5)
        return await self.write(batch)


@workflow.defn(sandboxed=False)
class RidingProbe:
    """Records a decision, runs the probe tool, closes the trail."""

    @workflow.run
    async def run(self, mode: str) -> ChainHead | None:
        patches.decide()
        audit = AuditLog(workflow.info().workflow_id)
        runner = ToolRunner(workflow.info().workflow_id, audit)
        window_open = mode == "beside_a_wait"  # a review window waits beside the main line
        if window_open:
            self.window = asyncio.create_task(self._review_window(audit, lambda: not window_open))
            await workflow.wait_condition(lambda: audit.waiting_now)
        audit.record(AuditKind.DECISION_ACCEPTED, "alice")
        try:
            await runner.run(ProbeTools.specs()[0], 1, {"mode": "slow" if window_open else mode}, "agent")
            head = audit.head  # what the tool's result said the write reached
        finally:
            window_open = False
            audit.record(AuditKind.TASK_FINISHED, "system")
            await audit.close()
        return head

    @staticmethod
    async def _review_window(audit: AuditLog, closed: Callable[[], bool]) -> None:
        with audit.waiting():
            await workflow.sleep(timedelta(milliseconds=300))  # while the tool runs
            audit.record(AuditKind.ESCALATED, "system")
            await workflow.wait_condition(closed)


@workflow.defn(sandboxed=False)
class RidingAfterWait:
    """Waits for a human (the gate's `waiting()`), is decided while the wait's write is in flight,
    then runs the probe tool."""

    def __init__(self) -> None:
        patches.decide()
        self.audit = AuditLog(workflow.info().workflow_id)
        self.decided = False

    @workflow.signal
    def decide(self) -> None:
        self.audit.record(AuditKind.DECISION_ACCEPTED, "alice")
        self.decided = True

    @workflow.run
    async def run(self) -> None:
        runner = ToolRunner(workflow.info().workflow_id, self.audit)
        with self.audit.waiting():
            self.audit.record(AuditKind.GATED, "policy")
            await workflow.wait_condition(lambda: self.decided)
        await runner.run(ProbeTools.specs()[0], 1, {}, "alice")
        self.audit.record(AuditKind.TASK_FINISHED, "system")
        await self.audit.close()


async def run_probe(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    mode: str = "ok",
    *,
    refuse: int = 0,
    write_ahead: bool = True,
) -> tuple[str, list[str], ChainHead | None]:
    seen: list[str] = []
    ProbeTools.seen = seen
    writer = RidingWriter(pool, seen, refuse)
    queue, workflow_id = unique("tq"), unique("probe")
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[RidingProbe],
        activities=[*ProbeTools(pool).activities(), Writes(pool, seen).record_events],
        workflow_runner=SANDBOX,
        interceptors=[WriteAheadInterceptor(writer.write)] if write_ahead else [],
    ):
        handle = await env.client.start_workflow(
            RidingProbe.run, mode, id=workflow_id, task_queue=queue, execution_timeout=timedelta(minutes=1)
        )
        if mode in ("ok", "beside_a_wait"):
            return workflow_id, seen, await handle.result()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    return workflow_id, seen, None


async def trail(pool: asyncpg.Pool, task_id: str) -> list[str]:
    rows = await pool.fetch("SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", task_id)
    return [r["kind"] for r in rows]


async def test_write_ahead_rides_with_the_tool_no_audit_activity_before_it(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    task_id, seen, head = await run_probe(ts_env, pool)
    # The tool itself never sees the batch.
    assert seen == ["riding write decision_accepted", "tool", "audit activity executed,task_finished"]
    assert await trail(pool, task_id) == ["decision_accepted", "executed", "task_finished"]
    pos = await pool.fetchval(
        "SELECT chain_pos FROM audit_events WHERE task_id = $1 AND kind = 'decision_accepted'", task_id
    )
    assert head is not None and head.pos == pos  # the witness is the write's, into history


async def test_write_ahead_rides_a_batch_the_tool_could_not_write_goes_through_the_audit_activity_first(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    task_id, seen, _ = await run_probe(ts_env, pool, refuse=1)
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
    task_id, seen, _ = await run_probe(ts_env, pool, "fail")
    # The batch goes back to the queue and is written again with what follows: its rows are
    # skipped by their keys, none is lost or doubled.
    assert seen == [
        "riding write decision_accepted",
        "tool",
        "audit activity decision_accepted,task_finished",
    ]
    assert await trail(pool, task_id) == ["decision_accepted", "task_finished"]


async def test_write_ahead_rides_a_decision_during_the_wait_s_write_rides_with_the_action(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    seen: list[str] = []
    ProbeTools.seen = seen
    writes = Writes(pool, seen, slow=True)
    queue, workflow_id = unique("tq"), unique("probe")
    async with Worker(
        ts_env.client,
        task_queue=queue,
        workflows=[RidingAfterWait],
        activities=[*ProbeTools(pool).activities(), writes.record_events],
        workflow_runner=SANDBOX,
        interceptors=[WriteAheadInterceptor(RidingWriter(pool, seen).write)],
    ):
        handle = await ts_env.client.start_workflow(
            RidingAfterWait.run, id=workflow_id, task_queue=queue, execution_timeout=timedelta(minutes=1)
        )
        await assert_eventually(lambda: asyncio.sleep(0, list(seen)), lambda s: "audit activity gated" in s)
        await handle.signal(RidingAfterWait.decide)
        await handle.result()
    # The wait's write was in flight when the decision came: the decision rides with the tool
    # instead of a second audit activity before it.
    assert seen == [
        "audit activity gated",
        "riding write decision_accepted",
        "tool",
        "audit activity executed,task_finished",
    ]
    assert await trail(pool, workflow_id) == ["gated", "decision_accepted", "executed", "task_finished"]


async def test_write_ahead_rides_a_worker_without_the_write_ahead_has_the_batch_written_late_and_marked(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    # A worker from before the change (a rolling deploy) ignores the batch and runs the tool.
    task_id, seen, _ = await run_probe(ts_env, pool, write_ahead=False)
    assert seen == [
        "tool saw the batch",
        "audit activity decision_accepted",
        "audit activity executed,task_finished",
    ]
    late = await pool.fetchval(
        "SELECT data->>'write_ahead' FROM audit_events WHERE task_id = $1 AND kind = 'executed'", task_id
    )
    assert late == "late"


async def test_write_ahead_rides_a_tool_raising_a_reserved_type_is_not_taken_for_an_unwritten_batch(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    _, seen, _ = await run_probe(ts_env, pool, "reserved")
    # Renamed by the worker: the workflow does not write the batch again and re-run the tool.
    assert seen == [
        "riding write decision_accepted",
        "tool",
        "audit activity decision_accepted,task_finished",
    ]


async def test_write_ahead_rides_not_while_a_review_window_waits_beside_the_main_line(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    # Riding holds the audit log for the whole call; a wait's events must not queue behind it:
    # the window's escalation is written while the slow tool still runs.
    task_id, seen, _ = await run_probe(ts_env, pool, "beside_a_wait")
    assert seen == [
        "audit activity decision_accepted",
        "tool",
        "audit activity escalated",
        "tool done",
        "audit activity executed,task_finished",
    ]
    assert await trail(pool, task_id) == ["decision_accepted", "escalated", "executed", "task_finished"]
