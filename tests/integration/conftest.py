"""The whole local stack as subprocesses: dev server, embedded PostgreSQL, both workers."""

import functools
import subprocess
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, PendingResult, TaskResult
from hitl.names import PENDING_QUERY
from tests.support import assert_eventually, policy_copy, unique
from workers.local.binaries import temporal_cli
from workers.local.postgres import EmbeddedPostgres, start_migrated
from workers.local.scratch import scratch_stack
from workers.stack import Stack


class LiveStack:
    """A running stack, a client and a pool on its database."""

    def __init__(self, stack: Stack, client: Client, pool: asyncpg.Pool) -> None:
        self.stack = stack
        self.client = client
        self.pool = pool

    async def waiting_refund(
        self,
        amount: float,
        *,
        total: float = 900.0,
        task_id: str | None = None,
        order_id: str | None = None,
    ) -> WorkflowHandle[Any, TaskResult]:
        """Seed an order of `total`, start a refund of `amount` on it, return once it waits at its gate."""
        order_id = order_id or unique("ord")
        # A customer per order: per-customer budgets count across the tests of a module.
        order = DemoOrder(
            order_id=order_id, customer_email=f"li-{order_id}@example.com", total=Decimal(str(total))
        )
        await seed_orders(self.pool, [order])
        task = AgentTaskInput(
            task_id=task_id or unique("refund"),
            kind="refund",
            requester="svc",
            subject={"order_id": order_id, "amount": amount},
        )
        handle = await start_task(self.client, task)
        await assert_eventually(
            functools.partial(handle.query, PENDING_QUERY, result_type=PendingResult),
            lambda p: len(p.requests) == 1,
        )
        return handle

    def temporal(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real `temporal` CLI against this stack's server."""
        return subprocess.run(
            [str(temporal_cli()), *args, "--address", self.stack.address],
            capture_output=True,
            text=True,
            errors="replace",  # without the codec, the CLI may echo ciphertext bytes in an error
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveStack]:
    """Start the stack on free ports (the packaged policies, calibration off: see `policy_copy`);
    stop every process at the end."""
    state = tmp_path_factory.mktemp("stack")
    async with scratch_stack(state, policy_dir=policy_copy(state / "policies")) as started:
        yield LiveStack(started.stack, started.client, started.pool)


@pytest.fixture
async def own_pg(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    """A private embedded PostgreSQL, migrated, that a test may stop and start."""
    server = await start_migrated(tmp_path / "pg", delete_on_stop=True)
    yield server
    server.stop()
