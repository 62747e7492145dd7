"""Shared by the OpenAI Agents SDK and LangGraph tests: a harness that runs a framework refund
task against the scripted demo model (`workers.local.demo_model.refund_loop`) on the local fake
chat server, and the scenarios both frameworks must pass."""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start
from hitl.contracts import AgentTaskInput, StepStatus, TaskResult, TaskStatus
from hitl.search_attributes import ALL_KEYS
from tests.failure_histories import keep_histories
from tests.fake_chat_server import FakeChatServer
from tests.support import assert_eventually, settings_for, unique
from tests.workflow.conftest import Handle, Harness
from workers.agent import build_agent_worker
from workers.local.binaries import temporal_cli
from workers.local.demo_model import refund_loop
from workers.local.dev_server import blob_limit_flags
from workers.notification import build_notification_worker


class FrameworkHarness(Harness):
    """A `Harness` whose workers talk to the fake model and can be restarted mid-task."""

    def __init__(
        self,
        env: WorkflowEnvironment,
        pool: asyncpg.Pool,
        tmp: Path,
        server: FakeChatServer,
        *,
        sandbox: bool = False,
    ) -> None:
        # The test policies: calibration off, the test reviewers' keys pinned (`settings_for`).
        settings = settings_for(tmp, unique("notify"))
        self.settings = settings.model_copy(
            update={"llm_base_url": server.base_url, "workflow_sandbox": sandbox}
        )
        super().__init__(env, pool, unique("tq"), self.settings.outbox, settings.policy_dir)
        self.server = server
        self._stack = contextlib.AsyncExitStack()

    async def start_workers(self) -> None:
        """Start an agent worker (with the framework plugins) and a notification worker."""
        agent = build_agent_worker(self.client, self.pool, self.settings, task_queue=self.task_queue)
        notify = build_notification_worker(self.client, self.settings)
        self._agent = await self._stack.enter_async_context(contextlib.AsyncExitStack())
        await self._agent.enter_async_context(agent)
        await self._stack.enter_async_context(notify)

    async def restart_agent_worker(self) -> None:
        """Stop the agent worker and start a new one (fresh plugins, empty workflow cache)."""
        await self._agent.aclose()
        agent = build_agent_worker(self.client, self.pool, self.settings, task_queue=self.task_queue)
        await self._agent.enter_async_context(agent)

    async def framework_task(
        self, workflow: type[Any], amount: float, *, policy: str = "refund", **subject: Any
    ) -> Handle:
        """Seed an order and start `workflow` on a refund of `amount` on it."""
        order_id = unique("ord")
        # A customer per order (per-customer budgets count across the tests of a session), unless
        # the task emails a given customer: then that is the customer on file.
        email = subject.get("email_to") or f"kim-{order_id}@example.com"
        await seed_orders(
            self.pool, [DemoOrder(order_id=order_id, customer_email=email, total=Decimal("500"))]
        )
        task = AgentTaskInput(
            task_id=unique("fw"),
            kind="refund",
            requester="svc-support",
            policy=policy,
            subject={"order_id": order_id, "amount": amount, "customer_message": "please refund", **subject},
        )
        handle = await start(self.client, workflow, task, task_queue=self.task_queue)
        self.started.append(handle)
        return handle


@contextlib.asynccontextmanager
async def framework_harness(
    env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, node: pytest.Item, *, sandbox: bool = False
) -> AsyncIterator[FrameworkHarness]:
    """Workers with the framework plugins, against the fake model and `env` (workflow code in
    the SDK's sandbox when `sandbox`)."""
    server = FakeChatServer(refund_loop)
    with server.running():
        harness = FrameworkHarness(env, pool, tmp_path, server, sandbox=sandbox)
        try:
            async with harness._stack:
                await harness.start_workers()
                yield harness
        finally:
            await keep_histories(node, harness.started)
            await harness.terminate_leftovers()


@pytest.fixture
async def frameworks(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FrameworkHarness]:
    """Framework workers on the time-skipping server."""
    async with framework_harness(ts_env, pool, tmp_path, request.node) as harness:
        yield harness


@pytest.fixture
async def frameworks_dev(
    pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FrameworkHarness]:
    """Framework workers on a real dev server: a stopped worker's sticky queue times out on the
    wall clock there, as in production (the time-skipping server never hands the task on)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        ip="127.0.0.1",
        dev_server_extra_args=blob_limit_flags(),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
    )
    try:
        async with framework_harness(env, pool, tmp_path, request.node) as harness:
            yield harness
    finally:
        await env.shutdown()


CLOSE_GATED = {
    '[tools.close_ticket]\ntier = "low_risk_write"': '[tools.close_ticket]\ntier = "high_risk_write"\nladder = "refunds"'
}
"""A policy variant that stops closing the ticket at the gate (after the refund has run)."""


def steps(result: TaskResult) -> list[tuple[str, StepStatus, str | None]]:
    """Each step as (tool, status, decided by)."""
    return [(s.tool, s.status, s.decided_by) for s in result.steps]


def tool_results(server: FakeChatServer) -> list[str]:
    """The tool results the model was sent on its last turn, in order."""
    return [str(m["content"]) for m in server.requests[-1]["messages"] if m["role"] == "tool"]


async def refunds_of(h: Harness, handle: Handle) -> list[tuple[Decimal, str]]:
    """Refunds the task issued: (amount, status)."""
    rows = await h.pool.fetch(
        "SELECT amount, status FROM shop.refunds WHERE idempotency_key LIKE $1 ORDER BY issued_at",
        f"{handle.id}/%",
    )
    return [(r["amount"], r["status"]) for r in rows]


async def approve_scenario(h: FrameworkHarness, workflow: type[Any]) -> None:
    """A gated refund approved by a reviewer: the card carries the model's reasoning."""
    handle = await h.framework_task(workflow, 250)
    request = await h.wait_request(handle, "approval-1")
    assert (request.action.tool, request.action.args["amount"], request.assignees) == (
        "issue_refund",
        250,
        ["support-leads"],
    )
    assert request.action.rationale == "The order allows it; refunding what was asked."
    assert request.action.rationale in request.card
    await h.decide(handle, outcome="approve", reviewer="alice")
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPLETED,
        [
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", StepStatus.EXECUTED, "alice"),
            ("close_ticket", StepStatus.EXECUTED, None),
        ],
    )
    assert await refunds_of(h, handle) == [(Decimal("250.00"), "issued")]
    assert len(h.server.requests) == 4
    assert "reasoning_effort" not in h.server.requests[0]  # no GPT-5-only parameters


async def modify_scenario(h: FrameworkHarness, workflow: type[Any]) -> None:
    """A reviewer's patch is what runs, and the model is told the call was edited."""
    handle = await h.framework_task(workflow, 250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="modify", reviewer="alice", patch={"amount": 200})
    result: TaskResult = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.args.get("amount"), s.decided_by) for s in result.steps][1] == (
        "issue_refund",
        200.0,
        "alice",
    )
    assert await refunds_of(h, handle) == [(Decimal("200.00"), "issued")]
    edited = tool_results(h.server)[1]
    assert edited.startswith(
        'A reviewer edited the call to {"amount": 200.0, "currency": "USD", "order_id": '
    )


async def reject_scenario(h: FrameworkHarness, workflow: type[Any], outcome: str) -> None:
    """A rejected (or sent-back) refund returns to the model with the comment; it revises."""
    handle = await h.framework_task(workflow, 250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome=outcome, reviewer="bob", comment="refund at most 90")
    result: TaskResult = await handle.result()
    status = StepStatus.REJECTED if outcome == "reject" else StepStatus.SKIPPED
    assert (result.status, steps(result)) == (
        TaskStatus.COMPLETED,
        [
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", status, "bob"),
            ("issue_refund", StepStatus.EXECUTED, None),
            ("close_ticket", StepStatus.EXECUTED, None),
        ],
    )
    assert tool_results(h.server)[1].endswith(": refund at most 90. It did not run.")
    assert await refunds_of(h, handle) == [(Decimal("90.00"), "issued")]
    # The same audit trail and feedback as any gated task: the KPI report reads these.
    feedback = await h.pool.fetchrow(
        "SELECT action_type, outcome, comment, reviewers FROM feedback WHERE task_id = $1", handle.id
    )
    assert dict(feedback) == {
        "action_type": "issue_refund",
        "outcome": outcome,
        "comment": "refund at most 90",
        "reviewers": ["bob"],
    }
    kinds = await h.pool.fetch(
        "SELECT kind, actor FROM audit_events WHERE task_id = $1 ORDER BY chain_pos", handle.id
    )
    trail = [(r["kind"], r["actor"]) for r in kinds]
    assert ("decision_accepted", "bob") in trail
    assert [k for k, _ in trail].count("proposed") == 4


async def escalation_scenario(h: FrameworkHarness, workflow: type[Any]) -> None:
    """Nobody answers within the first tier's SLA: the request moves up the ladder."""
    handle = await h.framework_task(workflow, 250)
    await h.wait_request(handle, "approval-1")
    await h.skip(timedelta(hours=4, minutes=1))
    pending = await assert_eventually(lambda: h.wait_request(handle, "approval-1"), lambda r: r.tier == 1)
    assert pending.assignees == ["managers"]
    await h.decide(handle, outcome="approve", reviewer="carol")
    result: TaskResult = await handle.result()
    assert steps(result)[1] == ("issue_refund", StepStatus.EXECUTED, "carol")


async def restart_scenario(h: FrameworkHarness, workflow: type[Any]) -> None:
    """The agent worker restarts while the gate waits; a new worker replays and carries on,
    without asking the model again for turns it already took."""
    handle = await h.framework_task(workflow, 250)
    await h.wait_request(handle, "approval-1")
    asked = len(h.server.requests)
    await h.restart_agent_worker()
    await h.decide(handle, outcome="approve", reviewer="alice")
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)[1]) == (
        TaskStatus.COMPLETED,
        ("issue_refund", StepStatus.EXECUTED, "alice"),
    )
    assert (asked, len(h.server.requests)) == (2, 4)
