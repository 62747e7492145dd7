"""A tool waits out a database outage within its attempt (issue 14, the PostgreSQL fault).

The faults bench stopped PostgreSQL for 30 s while tools ran: three attempts, 1 s and 2 s apart,
all failed, and an incident gate asked a human about tasks that only had to wait. A real embedded
PostgreSQL is stopped here while the real `issue_refund` activity runs.
"""

import asyncio
import time
from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError

from activities.tools.outage import UNREACHABLE, patient
from activities.tools.refund import IssueRefundArgs, RefundTools
from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.contracts import ToolCall
from store.db import create_pool
from tests.support import attempt, unique
from workers.local.postgres import EmbeddedPostgres

pytestmark = pytest.mark.integration


def refund_call(order_id: str) -> ToolCall[IssueRefundArgs]:
    args = IssueRefundArgs(order_id=order_id, amount=40)
    return ToolCall[IssueRefundArgs](key=unique("wf") + "/step-2", task_id=unique("task"), step=2, args=args)


async def test_tool_outage_a_refund_during_an_outage_runs_once_it_is_back(own_pg: EmbeddedPostgres) -> None:
    pool = await create_pool(own_pg.worker_dsn, max_size=2)
    try:
        order_id = unique("ord")
        await seed_orders(
            pool, [DemoOrder(order_id=order_id, customer_email="o@example.com", total=Decimal(90))]
        )
        call = refund_call(order_id)
        own_pg.pause()
        down_at = time.monotonic()
        running = asyncio.ensure_future(attempt(30).run(RefundTools(pool).issue_refund, call))
        await asyncio.sleep(6)
        assert not running.done()
        await asyncio.to_thread(own_pg.resume)
        result = await asyncio.wait_for(running, timeout=20)
        print(f"\nrefund issued {time.monotonic() - down_at:.1f}s after the outage began")
        assert (result.replayed, result.output["amount"]) == (False, 40.0)
        rows = await pool.fetchval("SELECT count(*) FROM shop.refunds WHERE idempotency_key = $1", call.key)
        assert rows == 1
    finally:
        await pool.close()


async def test_tool_outage_longer_than_the_attempt_fails_it(own_pg: EmbeddedPostgres) -> None:
    pool = await create_pool(own_pg.worker_dsn, max_size=2)
    try:
        own_pg.pause()
        started = time.monotonic()
        with pytest.raises(UNREACHABLE):
            await attempt(12).run(RefundTools(pool).issue_refund, refund_call(unique("ord")))
        waited = time.monotonic() - started
        # Tried until its next pause would pass the cut-off 5 s before its 12 s timeout, then
        # failed: Temporal retries the attempt.
        assert 2 < waited < 7
        await asyncio.to_thread(own_pg.resume)
        # The tool's own errors are not waited for.
        started = time.monotonic()
        with pytest.raises(ApplicationError, match="no order"):
            await attempt(30).run(RefundTools(pool).issue_refund, refund_call(unique("ord")))
        assert time.monotonic() - started < 5
    finally:
        await pool.close()


async def test_tool_outage_a_try_is_cut_off_before_the_attempt_times_out() -> None:
    """A try still running when the server would time the attempt out would run beside the next
    attempt (two refunds of one key racing for the order's lock): it is cut off 5 s before."""

    async def hung() -> None:
        await asyncio.sleep(60)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await attempt(12).run(patient(hung))
    assert 6 < time.monotonic() - started < 9
