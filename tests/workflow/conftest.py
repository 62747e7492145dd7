"""Fixtures for workflow tests on the time-skipping server with real activities and PostgreSQL."""

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import sign_start, start, start_task
from hitl.contracts import AgentTaskInput, Decision, PendingResult, ReviewRequest, TaskResult, TaskStatusView
from hitl.contracts.config_change import ConfigChangeInput
from hitl.names import AGENT_TASK_WORKFLOW, DECIDE, PENDING_QUERY, STATUS_QUERY
from tests.failure_histories import keep_histories
from tests.support import (
    TEST_VALIDITY_SECONDS,
    WorkersSettings,
    assert_eventually,
    running_workers,
    settings_for,
    signed_by_key,
    unique,
)
from workflows.account_deletion import AccountDeletionInput, AccountDeletionWorkflow
from workflows.config_change import ConfigChangeWorkflow

Handle = WorkflowHandle[Any, TaskResult]


class Harness:
    """One test's client, workers, policy folder and helpers."""

    def __init__(
        self, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, outbox: Path, policy_dir: Path
    ) -> None:
        self.env = env
        self.client: Client = env.client
        self.pool = pool
        self.task_queue = task_queue
        self.outbox = outbox
        self.policy_dir = policy_dir
        self.started: list[Handle] = []
        self.fixed_id: str | None = None
        """When set, the id of the next task a helper starts (a recorded history's name: the replay
        gate replays under it, and signed decisions are bound to it)."""

    async def terminate_leftovers(self) -> None:
        """Terminate what this test started and left open: on the shared time-skipping server,
        an open workflow whose workers are gone would hold time still for every later test."""
        for handle in self.started:
            with contextlib.suppress(RPCError):
                await handle.terminate(reason="test finished")

    def write_policy(self, name: str, text: str) -> str:
        """Add a policy file for this test; returns its name."""
        (self.policy_dir / f"{name}.toml").write_text(text)
        return name

    def refund_policy(self, name: str, replacements: dict[str, str]) -> str:
        """A variant of the shipped refund policy with text replaced."""
        text = (self.policy_dir / "refund.toml").read_text()
        for old, new in replacements.items():
            assert old in text, old
            text = text.replace(old, new)
        return self.write_policy(name, text.replace('name = "refund"', f'name = "{name}"'))

    def task_id(self, prefix: str) -> str:
        """A fresh task id (or `fixed_id`, once)."""
        fixed, self.fixed_id = self.fixed_id, None
        return fixed or unique(prefix)

    async def seed_order(self, total: float = 500.0) -> str:
        """Seed an order (its own customer) and return its id."""
        order_id = unique("ord")
        email = f"kim-{order_id}@example.com"
        await seed_orders(
            self.pool, [DemoOrder(order_id=order_id, customer_email=email, total=Decimal(str(total)))]
        )
        return order_id

    async def refund_task(
        self,
        amount: float,
        *,
        total: float = 500.0,
        requester: str = "svc-support",
        policy: str = "refund",
        order_id: str | None = None,
        task_id: str | None = None,
        requester_key: Ed25519PrivateKey | None = None,
        **subject: Any,
    ) -> Handle:
        """Seed an order and start a refund task for `amount` on it (a signed start with
        `requester_key`)."""
        order_id = order_id or unique("ord")
        await seed_orders(
            self.pool,
            # A customer per order: per-customer budgets count across the tests of a session.
            [
                DemoOrder(
                    order_id=order_id, customer_email=f"kim-{order_id}@example.com", total=Decimal(str(total))
                )
            ],
        )
        task = AgentTaskInput(
            task_id=task_id or self.task_id("refund"),
            kind="refund",
            requester=requester,
            policy=policy,
            subject={"order_id": order_id, "amount": amount, "customer_message": "please refund", **subject},
        )
        if requester_key is not None:
            task = self.signed_start(task, requester_key)
        handle = await start_task(self.client, task, task_queue=self.task_queue)
        self.started.append(handle)
        return handle

    def signed_start(self, task: AgentTaskInput, key: Ed25519PrivateKey, **fields: Any) -> AgentTaskInput:
        """`task` signed by `key` for an agent task in this namespace, valid beyond any time skipping."""
        values: dict[str, Any] = {
            "namespace": self.client.namespace,
            "workflow_type": AGENT_TASK_WORKFLOW,
            "expires_at": int(time.time()) + TEST_VALIDITY_SECONDS,
        }
        return sign_start(task, key, **{**values, **fields})

    async def config_change(self, value: Any, *, requester: str = "jo", key: str | None = None) -> Handle:
        """Start a configuration change on a fresh key."""
        change = ConfigChangeInput(
            change_id=self.task_id("chg"),
            service="checkout",
            key=key or unique("timeout"),
            value=value,
            requester=requester,
            reason="p99 latency regressed after the last deploy",
        )
        handle = await start(self.client, ConfigChangeWorkflow, change, task_queue=self.task_queue)
        self.started.append(handle)
        return handle

    async def account_deletion(self, *, orders: int = 2, requester: str = "svc-privacy") -> Handle:
        """Seed `orders` orders for a fresh customer and start the deletion of their account."""
        email = f"{unique('cust')}@example.com"
        await seed_orders(
            self.pool,
            [
                DemoOrder(order_id=unique("ord"), customer_email=email, total=Decimal("10.00"))
                for _ in range(orders)
            ],
        )
        request = AccountDeletionInput(
            request_id=self.task_id("del"), customer_email=email, requester=requester, reason="customer asked"
        )
        handle = await start(self.client, AccountDeletionWorkflow, request, task_queue=self.task_queue)
        self.started.append(handle)
        return handle

    async def wait_pending(self, handle: Handle, count: int = 1) -> PendingResult:
        """Wait until the task has `count` open review requests."""
        return await assert_eventually(
            lambda: handle.query(PENDING_QUERY, result_type=PendingResult),
            lambda p: len(p.requests) == count,
        )

    async def wait_request(self, handle: Handle, request_id: str) -> ReviewRequest:
        """Wait until request `request_id` is open; return it."""
        pending: PendingResult = await assert_eventually(
            lambda: handle.query(PENDING_QUERY, result_type=PendingResult),
            lambda p: any(r.request_id == request_id for r in p.requests),
        )
        return next(r for r in pending.requests if r.request_id == request_id)

    async def status(self, handle: Handle) -> TaskStatusView:
        """The task's `status` query."""
        view: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
        return view

    async def sign(self, handle: Handle, decision: Decision) -> Decision:
        """`decision` signed by its reviewer's test key, bound to the task's open request."""
        return await signed_by_key(self.client, handle.id, decision)

    async def decide(self, handle: Handle, *, signed: bool = True, **fields: Any) -> None:
        """Send a decision as a signal, signed by the reviewer's test key unless `signed=False`."""
        decision = Decision(**fields)
        before = await self.status(handle)
        await handle.signal(DECIDE, await self.sign(handle, decision) if signed else decision)
        # Wait until the task took it (applied or refused): awaiting a result next would let the
        # time-skipping server run the SLA ladder out before a slow worker handles the signal.
        await assert_eventually(
            lambda: self.status(handle),
            lambda view: (
                (len(view.decisions), view.refusals_total) != (len(before.decisions), before.refusals_total)
            ),
        )

    async def skip(self, duration: timedelta) -> None:
        """Advance the time-skipping server's clock."""
        await self.env.sleep(duration)


@contextlib.asynccontextmanager
async def harness_with(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: WorkersSettings, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    """A harness whose workers run with `settings`; keeps the histories of a failed test and
    terminates what the test left open."""
    task_queue = unique("tq")
    harness = Harness(ts_env, pool, task_queue, settings.outbox, settings.policy_dir)
    try:
        async with running_workers(ts_env.client, pool, settings, task_queue):
            yield harness
    finally:
        await keep_histories(request.node, harness.started)
        await harness.terminate_leftovers()


@pytest.fixture
async def harness(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    """Workers on private task queues, against the time-skipping server and real PostgreSQL."""
    async with harness_with(ts_env, pool, settings_for(tmp_path, unique("notify")), request) as harness:
        yield harness
