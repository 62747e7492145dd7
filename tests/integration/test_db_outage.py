"""PostgreSQL stopped while tasks run loses nothing (issue 5, point 6).

A private embedded PostgreSQL is stopped with `pg_ctl stop` while tasks wait at a gate, receive
decisions and start; the audit activity fails and retries, the workflows wait, and after the
restart every event is present exactly once, in order, and the hash chain verifies.
"""

import asyncio
import functools
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.activity_names import RECORD_AUDIT
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, Decision, PendingResult, TaskResult, TaskStatus
from hitl.names import DECIDE, PENDING_QUERY
from store.chain import verify_chain
from store.db import create_pool
from tests.support import (
    assert_eventually,
    running_workers,
    settings_for,
    signed_by_key,
    start_refund,
    unique,
)
from workers.local.postgres import EmbeddedPostgres

pytestmark = pytest.mark.integration


async def pending(handle: WorkflowHandle[Any, Any]) -> PendingResult:
    result: PendingResult = await handle.query(PENDING_QUERY, result_type=PendingResult)
    return result


async def audit_attempts(handle: WorkflowHandle[Any, Any]) -> int:
    """The highest attempt of a pending audit write (0 when none is pending)."""
    description = await handle.describe()
    pending = description.raw_description.pending_activities
    return max((a.attempt for a in pending if a.activity_type.name == RECORD_AUDIT), default=0)


async def test_stopping_postgres_while_tasks_run_loses_nothing(
    dev_env: WorkflowEnvironment, own_pg: EmbeddedPostgres, tmp_path: Path
) -> None:
    queue = unique("tq")
    pool = await create_pool(own_pg.worker_dsn, max_size=4)
    try:
        async with running_workers(dev_env.client, pool, settings_for(tmp_path, unique("notify")), queue):
            gated = [
                await start_refund(dev_env.client, pool, queue, 250, customer_message="please refund")
                for _ in range(2)
            ]
            for handle in gated:
                await assert_eventually(functools.partial(pending, handle), lambda p: len(p.requests) == 1)
            small_orders = [unique("ord") for _ in range(3)]
            await seed_orders(
                pool,
                [
                    # Another customer than the gated refunds': their 500 would exhaust kim's
                    # daily refund budget and gate these small ones, depending on who runs first.
                    DemoOrder(order_id=o, customer_email="lee@example.com", total=Decimal(500))
                    for o in small_orders
                ],
            )

            own_pg.pause()
            down_at = time.monotonic()
            for handle in gated:
                approve = Decision(outcome="approve", reviewer="alice")
                await handle.signal(DECIDE, await signed_by_key(dev_env.client, handle.id, approve))
            small = [
                await start_task(
                    dev_env.client,
                    AgentTaskInput(
                        task_id=unique("refund"),
                        kind="refund",
                        requester="svc-support",
                        subject={"order_id": o, "amount": 40, "customer_message": "please refund"},
                    ),
                    task_queue=queue,
                )
                for o in small_orders
            ]
            for handle in gated:
                # The decision's audit write fails and is retried while the database is down:
                # attempt 4 is scheduled after three failures (1 s, then 2 s apart).
                await assert_eventually(
                    functools.partial(audit_attempts, handle), lambda n: n >= 4, within=60
                )
            everyone = gated + small
            statuses = [(await h.describe()).status for h in everyone]
            assert statuses == [WorkflowExecutionStatus.RUNNING] * 5

            own_pg.resume()
            up_at = time.monotonic()
            results: list[TaskResult] = await asyncio.wait_for(
                asyncio.gather(*(h.result() for h in everyone)), timeout=120
            )
            drained_at = time.monotonic()
            print(
                f"\noutage {up_at - down_at:.1f}s; all 5 tasks finished {drained_at - up_at:.1f}s after restart"
            )
    finally:
        await pool.close()

    assert [r.status for r in results] == [TaskStatus.COMPLETED] * 5
    conn = await asyncpg.connect(own_pg.dsn)
    try:
        for handle in everyone:
            rows = await conn.fetch(
                "SELECT seq, kind, event_key FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id
            )
            # Every sequence number once, none missing: nothing lost, nothing duplicated.
            assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
            assert len({r["event_key"] for r in rows}) == len(rows)
            assert rows[-1]["kind"] == "task_finished"
            kinds = [r["kind"] for r in rows]
            assert kinds.count("executed") == 4
            refunds = await conn.fetchval(
                "SELECT count(*) FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
            )
            assert refunds == 1
        for handle in gated:
            kinds = [
                r[0] for r in await conn.fetch("SELECT kind FROM audit_events WHERE task_id = $1", handle.id)
            ]
            assert kinds.count("decision_accepted") == 1
            assert await conn.fetchval("SELECT count(*) FROM feedback WHERE task_id = $1", handle.id) == 1
        report = await verify_chain(conn)
        assert report.broken is None
        # The chain runs through the audit events and the feedback rows (migration 0007).
        assert report.rows == await conn.fetchval(
            "SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM feedback)"
        )
    finally:
        await conn.close()
