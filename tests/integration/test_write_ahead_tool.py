"""The agent worker writes the audit batch that rides with a tool call before the tool acts
(`activities.tools.write_ahead`), on a real PostgreSQL with the real `issue_refund`."""

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.store.audit import AuditActivities
from activities.tools.outage import patient
from activities.tools.refund import IssueRefundArgs, RefundTools
from activities.tools.shop_seed import DemoOrder, seed_orders
from activities.tools.write_ahead import written_ahead
from hitl.contracts import (
    AuditEvent,
    AuditKind,
    ChainHead,
    RecordEventsInput,
    RecordEventsResult,
    ToolCall,
    ToolResult,
)
from hitl.errors import AUDIT_DATA_ERROR, AUDIT_UNWRITTEN
from store.db import create_pool
from tests.support import attempt, unique
from workers.local.postgres import EmbeddedPostgres

pytestmark = pytest.mark.integration


def riding_call(order_id: str, **data: str) -> ToolCall[IssueRefundArgs]:
    workflow_id = unique("wf")
    event = AuditEvent(
        event_key=f"{workflow_id}/run/1",
        task_id=workflow_id,
        workflow_id=workflow_id,
        seq=1,
        kind=AuditKind.DECISION_ACCEPTED,
        actor="alice",
        occurred_at=datetime.now(UTC),
        data=data,
    )
    return ToolCall[IssueRefundArgs](
        key=f"{workflow_id}/step-1",
        task_id=workflow_id,
        step=1,
        args=IssueRefundArgs(order_id=order_id, amount=40),
        audit=RecordEventsInput(events=[event]),
    )


async def order(pool: asyncpg.Pool) -> str:
    order_id = unique("ord")
    await seed_orders(pool, [DemoOrder(order_id=order_id, customer_email="o@example.com", total=Decimal(90))])
    return order_id


def refund(pool: asyncpg.Pool, call: ToolCall[IssueRefundArgs], seconds: float = 30) -> Awaitable[ToolResult]:
    """One attempt of `issue_refund` as the agent worker runs it: the write-ahead, then the tool."""
    return attempt(seconds).run(
        written_ahead, AuditActivities(pool).write, call, RefundTools(pool).issue_refund
    )


async def refunds(pool: asyncpg.Pool, key: str) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM shop.refunds WHERE idempotency_key = $1", key)
    return count


async def test_write_ahead_tool_commits_the_batch_before_it_acts_and_a_retry_writes_nothing_twice(
    pool: asyncpg.Pool,
) -> None:
    call = riding_call(await order(pool), note="approved")
    result = await refund(pool, call)
    assert result.audit is not None and result.audit.inserted == 1 and result.audit.head is not None
    recorded, issued = await pool.fetchrow(
        "SELECT (SELECT recorded_at FROM audit_events WHERE task_id = $1),"
        " (SELECT issued_at FROM shop.refunds WHERE idempotency_key = $2)",
        call.task_id,
        call.key,
    )
    assert recorded < issued  # the trail's row was committed before the refund's transaction began

    again = await refund(pool, call)  # a retried attempt
    assert again.replayed and again.audit is not None
    assert (again.audit.inserted, again.audit.conflicts) == (0, 0)
    assert await refunds(pool, call.key) == 1
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE task_id = $1", call.task_id) == 1


async def test_write_ahead_tool_a_batch_postgres_refuses_stops_the_tool(pool: asyncpg.Pool) -> None:
    call = riding_call(await order(pool), note="nul \x00 in it")
    with pytest.raises(ApplicationError) as refused:
        await refund(pool, call)
    assert (refused.value.type, refused.value.non_retryable) == (AUDIT_DATA_ERROR, True)
    assert await refunds(pool, call.key) == 0


async def test_write_ahead_tool_a_batch_unwritten_within_the_attempt_stops_the_tool(
    own_pg: EmbeddedPostgres,
) -> None:
    pool = await create_pool(own_pg.worker_dsn, max_size=2)
    try:
        call = riding_call(await order(pool))
        own_pg.pause()
        try:
            with pytest.raises(ApplicationError) as unwritten:
                await refund(pool, call, 12)  # tries for 7 s
        finally:
            own_pg.resume()
        assert (unwritten.value.type, unwritten.value.non_retryable) == (AUDIT_UNWRITTEN, True)
        assert await refunds(pool, call.key) == 0
        assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE task_id = $1", call.task_id) == 0
    finally:
        await pool.close()


async def test_write_ahead_tool_what_the_write_reached_is_never_the_tool_s_word(pool: asyncpg.Pool) -> None:
    forged = RecordEventsResult(inserted=1, head=ChainHead(pos=1, hash="0" * 64))

    async def forging(call: ToolCall[IssueRefundArgs]) -> ToolResult:
        assert call.audit is None  # the tool never sees the batch
        return ToolResult(summary="done", audit=forged)

    without = riding_call(await order(pool)).model_copy(update={"audit": None})
    assert (await attempt(30).run(written_ahead, AuditActivities(pool).write, without, forging)).audit is None
    with_batch = riding_call(await order(pool))
    result = await attempt(30).run(written_ahead, AuditActivities(pool).write, with_batch, forging)
    assert result.audit is not None and result.audit.head != forged.head


async def test_write_ahead_tool_the_write_and_the_tool_share_one_cut_off() -> None:
    # The database refuses the write for 3 s, then the tool hangs: the try is cut off 5 s before
    # the attempt's 12 s timeout, not 7 s after the write (a try running beside the next attempt).
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def late_writer(batch: RecordEventsInput) -> RecordEventsResult:
        if loop.time() - began < 3:
            raise OSError("connection refused")
        return RecordEventsResult(inserted=len(batch.events))

    @patient
    async def hanging_tool(call: ToolCall[IssueRefundArgs]) -> ToolResult:
        await asyncio.sleep(60)
        return ToolResult()

    with pytest.raises(TimeoutError):
        await attempt(12).run(written_ahead, late_writer, riding_call("ord-x"), hanging_tool)
    assert 6.5 < loop.time() - began < 8
