"""End to end on the real binaries: approve through the `temporal` CLI, check refund and audit."""

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.contracts import TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique

pytestmark = pytest.mark.integration


async def test_approval_through_the_temporal_cli_refunds_once_and_audits(live: LiveStack) -> None:
    handle = await live.waiting_refund(300)
    signing = await hitl(live, "sign", "approve", handle.id, "--as", "alice", "--comment", "ok per policy")
    assert signing.returncode == 0, signing.stderr
    decision = signing.stdout.strip()
    signal = live.temporal(
        "workflow", "signal", "--workflow-id", handle.id, "--name", "decide", "--input", decision
    )
    assert signal.returncode == 0, signal.stderr

    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    refunds = await live.pool.fetch(
        "SELECT amount, status FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    assert [tuple(r) for r in refunds] == [(Decimal("300.00"), "issued")]
    rows = await live.pool.fetch(
        "SELECT kind, actor FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id
    )
    kinds = [r["kind"] for r in rows]
    for kind in (
        "task_started",
        "proposed",
        "verdict",
        "gated",
        "decision_accepted",
        "executed",
        "task_finished",
    ):
        assert kind in kinds, kind
    assert ("decision_accepted", "alice") in [tuple(r) for r in rows]
    assert [kinds.count(k) for k in ("task_started", "gated", "decision_accepted", "task_finished")] == [
        1,
        1,
        1,
        1,
    ]
    outbox = [json.loads(line) for line in live.stack.settings.outbox.read_text().splitlines()]
    assert any(n["task_id"] == handle.id and n["kind"] == "new_request" for n in outbox)


async def test_malformed_cli_signals_are_refused_not_wedged(live: LiveStack) -> None:
    handle = await live.waiting_refund(250)
    sends = [
        ("workflow", "signal", "--workflow-id", handle.id, "--name", "decide"),
        (
            "workflow",
            "signal",
            "--workflow-id",
            handle.id,
            "--name",
            "decide",
            "--input-meta",
            "encoding=binary/plain",
            "--input",
            '"approve"',
        ),
        (
            "workflow",
            "signal",
            "--workflow-id",
            handle.id,
            "--name",
            "decide",
            "--input",
            '{"approve": true}',
        ),
    ]
    for argv in sends:
        sent = live.temporal(*argv)
        assert sent.returncode == 0, sent.stderr
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: len(s.refusals) == 3
    )
    assert [r.code for r in status.refusals] == ["missing_payload", "not_json", "invalid_decision"]

    signing = await hitl(live, "sign", "approve", handle.id, "--as", "bob")
    assert signing.returncode == 0, signing.stderr
    approve = live.temporal(
        "workflow",
        "signal",
        "--workflow-id",
        handle.id,
        "--name",
        "decide",
        "--input",
        signing.stdout.strip(),
    )
    assert approve.returncode == 0, approve.stderr
    assert (await handle.result()).status is TaskStatus.COMPLETED
    refused = await live.pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'", handle.id
    )
    assert refused == 3


async def test_cli_entry_points_exit_cleanly(live: LiveStack) -> None:
    order_id = unique("ord")
    await seed_orders(
        live.pool, [DemoOrder(order_id=order_id, customer_email="li@example.com", total=Decimal("900"))]
    )
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": live.stack.address,
        "HITL_DATABASE_URL": live.stack.worker_env["HITL_DATABASE_URL"],
    }
    hitl = os.path.join(os.path.dirname(sys.executable), "hitl")
    codes = []
    for n in range(5):
        run = await asyncio.to_thread(
            subprocess.run,
            [
                hitl,
                "start",
                "--task-id",
                unique(f"cli-{n}"),
                "--requester",
                "svc",
                "--subject",
                json.dumps({"order_id": order_id, "amount": 5}),
                "--wait",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        codes.append((run.returncode, json.loads(run.stdout.split("\n", 1)[1])["status"]))
    migrate = await asyncio.to_thread(
        subprocess.run,
        [hitl, "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert codes == [(0, "completed")] * 5
    assert (migrate.returncode, migrate.stdout.strip()) == (0, "schema is up to date")
