"""A decision and the last SLA timer land in the same workflow task: the decision wins.

The worker is stopped while the decision is signalled and the server's clock passes the deadline,
so the signal and the fired timer reach the workflow together when a worker polls again. The
request is closed by the decision; the timer that fired with it changes nothing (no fallback).
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store.audit import AuditActivities
from hitl.contracts import Decision, StepStatus, TaskStatus
from hitl.names import DECIDE
from tests.support import WorkersSettings, assert_eventually, running_workers, settings_for, unique
from tests.workflow.conftest import Handle, Harness
from workers.agent import SANDBOX, agent_activities, agent_interceptors
from workers.notification import build_notification_worker
from workflows.registry import WORKFLOWS

TIMER_FIRED = EventType.EVENT_TYPE_TIMER_FIRED


async def event_types(handle: Handle) -> list[EventType.ValueType]:
    return [event.event_type async for event in handle.fetch_history_events()]


@contextlib.asynccontextmanager
async def uncached_workers(
    client: Client, pool: asyncpg.Pool, settings: WorkersSettings, task_queue: str
) -> AsyncIterator[None]:
    """The agent and notification workers, the agent's without a workflow cache: its workflow
    tasks are never sticky, so a worker started after it stops picks them up at once (the test
    server keeps a task on a stopped worker's sticky queue)."""
    audit = AuditActivities(pool)
    agent = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=agent_activities(pool, settings, audit=audit),
        workflow_runner=SANDBOX,
        interceptors=agent_interceptors(audit),
        max_cached_workflows=0,
    )
    async with agent, build_notification_worker(client, settings):
        yield


def idle(description: WorkflowExecutionDescription) -> bool:
    """Nothing is in flight: no activity and no workflow task (either would hold the clock)."""
    raw = description.raw_description
    return not raw.pending_activities and not raw.HasField("pending_workflow_task")


ONE_RUNG = """tiers = [
  { group = "support-leads", sla = "4h" },
  { group = "managers", sla = "8h", remind_earlier = true },
  { group = "directors", sla = "24h" },
]"""


async def test_a_decision_and_the_fallback_timer_in_one_workflow_task_the_decision_wins(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, unique("notify"))
    h = Harness(ts_env, pool, unique("tq"), settings.outbox, settings.policy_dir)
    policy = h.refund_policy(
        "refund_one_rung", {ONE_RUNG: 'tiers = [{ group = "support-leads", sla = "4h" }]'}
    )
    try:
        async with uncached_workers(ts_env.client, pool, settings, h.task_queue):
            handle = await h.refund_task(250, policy=policy)
            request = await h.wait_request(handle, "approval-1")
            signed = await h.sign(
                handle, Decision(outcome="approve", reviewer="alice", request_id="approval-1")
            )
        # No worker polls. Skip to a second before the SLA deadline, signal the decision (the server
        # holds its clock while a workflow task waits, so the last second passes in real time),
        # and wait for the timer to fire: both then wait for the same workflow task.
        assert request.deadline is not None
        await assert_eventually(handle.describe, idle)
        await ts_env.sleep(request.deadline - await ts_env.get_current_time() - timedelta(seconds=1))
        await handle.signal(DECIDE, signed)
        await assert_eventually(lambda: event_types(handle), lambda types: TIMER_FIRED in types)
        async with running_workers(ts_env.client, pool, settings, h.task_queue):
            result = await handle.result()
        history = [event async for event in handle.fetch_history_events()]
    finally:
        await h.terminate_leftovers()

    fired = next(i for i, e in enumerate(history) if e.event_type is EventType.EVENT_TYPE_TIMER_FIRED)
    signalled = next(
        i for i, e in enumerate(history) if e.event_type is EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    )
    completed_between = [
        e
        for e in history[min(fired, signalled) : max(fired, signalled)]
        if e.event_type is EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    assert completed_between == []  # both arrived in one workflow task
    assert (result.status, result.steps[1].status, result.steps[1].decided_by) == (
        TaskStatus.COMPLETED,
        StepStatus.EXECUTED,
        "alice",
    )
    kinds = [
        r["kind"]
        for r in await pool.fetch("SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id)
    ]
    assert "decision_accepted" in kinds
    assert "fallback" not in kinds
