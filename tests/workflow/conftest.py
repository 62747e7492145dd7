"""Fixtures for workflow tests on the time-skipping server with real activities and PostgreSQL."""

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, PendingResult
from hitl.names import PENDING_QUERY
from tests.support import assert_eventually, running_workers, test_settings, unique


class Harness:
    """One test's client, task queue, outbox and helpers to start refund tasks."""

    def __init__(self, client: Client, pool: asyncpg.Pool, task_queue: str, outbox: Path) -> None:
        self.client = client
        self.pool = pool
        self.task_queue = task_queue
        self.outbox = outbox

    async def refund_task(
        self, amount: float, *, total: float = 500.0, requester: str = "svc-support"
    ) -> WorkflowHandle:
        """Seed an order and start a refund task for `amount` on it."""
        order_id = unique("ord")
        await seed_orders(
            self.pool,
            [DemoOrder(order_id=order_id, customer_email="kim@example.com", total=Decimal(str(total)))],
        )
        task = AgentTaskInput(
            task_id=unique("refund"),
            kind="refund",
            requester=requester,
            subject={"order_id": order_id, "amount": amount, "customer_message": "please refund"},
        )
        return await start_task(self.client, task, task_queue=self.task_queue)

    async def wait_pending(self, handle: WorkflowHandle, count: int = 1) -> PendingResult:
        """Wait until the task has `count` open review requests."""
        return await assert_eventually(
            lambda: handle.query(PENDING_QUERY, result_type=PendingResult),
            lambda p: len(p.requests) == count,
        )


@pytest.fixture
async def harness(ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Harness]:
    """Workers on private task queues, against the time-skipping server and real PostgreSQL."""
    task_queue = unique("tq")
    settings = test_settings("unused", tmp_path, unique("notify"))
    async with running_workers(ts_env.client, pool, settings, task_queue):
        yield Harness(ts_env.client, pool, task_queue, settings.outbox)


RowsFn = Callable[[str], Awaitable[list[asyncpg.Record]]]
