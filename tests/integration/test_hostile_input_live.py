"""Hostile input on the real stack (dev server, both workers, embedded PostgreSQL): each case from
the issue 14 fuzzing gets a recorded refusal with a code, the task still approves, rejects and
executes, and `hitl audit verify` holds.
"""

import asyncio
import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import RawValue
from temporalio.service import RPCError

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, DecisionReceipt, TaskResult, TaskStatus, TaskStatusView
from hitl.names import DECIDE, STATUS_QUERY
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique

pytestmark = pytest.mark.integration

Handle = WorkflowHandle[Any, TaskResult]

MEGABYTE_REVIEWER = json.dumps({"outcome": "approve", "reviewer": "r" * 1_000_000})
REFUSAL_BYTES = 2560
"""History bytes a refused signal may add beyond its own payload: measured 1.9-2.1 KB one at a time
(two workflow tasks and the audit write of the refusal, about 1 KB of it the encrypted event)."""


async def refusals(handle: Handle, count: int) -> TaskStatusView:
    return await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: s.refusals_total >= count
    )


async def status_when_ready(handle: Handle) -> TaskStatusView | None:
    """The status query's answer, or None while the workflow task is failed."""
    try:
        status: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    except RPCError:
        return None
    return status


async def verified(live: LiveStack) -> None:
    """`hitl audit verify` on the stack's database exits 0."""
    assert live.stack.postgres is not None
    run = await hitl(
        live, "audit", "verify", HITL_DATABASE_URL=live.stack.postgres.dsn, **live.stack.audit_env()
    )
    assert run.returncode == 0, run.stdout + run.stderr


async def decided(live: LiveStack, verb: str, handle: Handle, *args: str) -> TaskResult:
    run = await hitl(live, verb, handle.id, "--as", "carol", *args)
    assert run.returncode == 0, run.stderr
    return await handle.result()


def cli_signal(live: LiveStack, workflow_id: str, *args: str) -> str:
    run = live.temporal("workflow", "signal", "--workflow-id", workflow_id, "--name", DECIDE, *args)
    assert run.returncode == 0, run.stderr
    return run.stdout


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def input_file(folder: Path, text: str) -> str:
    """`text` in a file for `--input-file` (an argument is limited to 128 KiB)."""
    path = folder / f"{unique('input')}.json"
    path.write_text(text)
    return str(path)


async def test_hostile_input_through_the_temporal_cli_is_refused_and_recorded(
    live: LiveStack, tmp_path: Path
) -> None:
    task = await live.waiting_refund(250)
    deep_patch = '{"outcome":"modify","reviewer":"carol","patch":' + '{"a":' * 500 + "1" + "}" * 501
    sent: list[tuple[list[str], str]] = [
        (["--input", "approve", "--input-meta", "encoding=binary/plain"], "not_json"),
        (
            ["--input", b64(b"\xff\x00approve"), "--input-base64", "--input-meta", "encoding=text/plain"],
            "not_json",
        ),
        ([], "missing_payload"),
        (["--input", "null"], "not_an_object"),
        (["--input", '{"outcome":"approve","reviewer":"car\\ud800ol"}'], "invalid_unicode"),
        (["--input", '{"outcome":"approve","reviewer":"car\\u0000ol"}'], "control_character"),
        (["--input", '{"outcome":"approve","reviewer":"carol","comment":"ok\\u0000"}'], "control_character"),
        (["--input", deep_patch], "too_deep"),
        (["--input", '{"outcome":"approve"}', "--input", '{"reviewer":"carol"}'], "too_many_arguments"),
        (
            [
                "--input-file",
                input_file(tmp_path, json.dumps({"outcome": "approve", "reviewer": "r" * 100_000})),
            ],
            "field_too_long",
        ),
    ]
    for args, _ in sent:
        cli_signal(live, task.id, *args)
    # Bytes that are not JSON at all: the CLI checks JSON input itself, so the SDK client sends them.
    await task.signal(
        DECIDE, RawValue(Payload(metadata={"encoding": b"json/plain"}, data=b'{"outcome":\xff'))
    )
    expected = [code for _, code in sent] + ["not_json"]
    status = await refusals(task, len(expected))
    assert [r.code for r in status.refusals] == expected

    big = live.temporal(
        "workflow",
        "signal",
        "--workflow-id",
        task.id,
        "--name",
        DECIDE,
        "--input-file",
        input_file(tmp_path, MEGABYTE_REVIEWER),
    )
    assert (big.returncode, "Blob data size exceeds limit" in big.stderr) == (1, True)
    assert (await task.query(STATUS_QUERY, result_type=TaskStatusView)).refusals_total == len(expected)

    assert (await decided(live, "approve", task)).status is TaskStatus.COMPLETED
    rows = await live.pool.fetch(
        "SELECT data->>'code' AS code, octet_length(data::text) AS size FROM audit_events"
        " WHERE task_id = $1 AND kind = 'decision_refused' ORDER BY seq",
        task.id,
    )
    assert [r["code"] for r in rows] == expected
    assert max(r["size"] for r in rows) < 2048
    await verified(live)


async def test_hostile_input_malformed_updates_get_a_refusal_code(live: LiveStack, tmp_path: Path) -> None:
    task = await live.waiting_refund(250)
    sent: list[tuple[list[str], str]] = [
        (["--input", "approve", "--input-meta", "encoding=binary/plain"], "not_json"),
        (["--input", "null"], "not_an_object"),
        ([], "missing_payload"),
        (["--input", '{"outcome":"approve","reviewer":"carol","comment":"\\u0000"}'], "control_character"),
        (["--input", '{"outcome":"yes","reviewer":"carol"}'], "invalid_decision"),
    ]
    for args, code in sent:
        run = live.temporal(
            "workflow", "update", "execute", "--workflow-id", task.id, "--name", DECIDE, *args
        )
        assert run.returncode == 1, run.stdout
        assert code in run.stderr, run.stderr
        assert "retryable: true" not in run.stderr and "Failed decoding" not in run.stderr, run.stderr
    status = await refusals(task, len(sent))
    assert [(r.code, r.via) for r in status.refusals] == [(code, "update") for _, code in sent]

    # Over the blob limit, an update could be neither accepted nor refused (both answers carry its
    # payload back): with the SDK's payload check the workflow task failed on every retry and the
    # task was wedged for good; without it, the server terminated the task. The server turns it away
    # on arrival instead (`history.maxInFlightUpdatePayloads`, RESOURCE_EXHAUSTED): clients retry
    # that, so the CLI waits until its timeout and the SDK gives up after its retries. Sent in a
    # burst of refused signals, where a refusal's failed workflow task was not a speculative one.
    update = ("workflow", "update", "execute", "--workflow-id", task.id, "--name", DECIDE)
    big = live.temporal(
        "--command-timeout", "5s", *update, "--input-file", input_file(tmp_path, MEGABYTE_REVIEWER)
    )
    assert big.returncode == 1, big.stderr

    async def big_update() -> None:
        with pytest.raises(RPCError, match="in-flight updates"):
            await task.execute_update(DECIDE, json.loads(MEGABYTE_REVIEWER), result_type=DecisionReceipt)

    burst = [task.signal(DECIDE, {"outcome": "approve", "reviewer": f"nobody-{n}"}) for n in range(6)]
    await asyncio.gather(big_update(), *burst)
    status = await refusals(task, len(sent) + len(burst))
    assert status.refusals_total == len(sent) + len(burst)
    history = (await task.fetch_history()).events
    assert [e for e in history if e.HasField("workflow_task_failed_event_attributes")] == []
    assert (await task.describe()).status is WorkflowExecutionStatus.RUNNING

    assert (await decided(live, "reject", task, "--reason", "policy_violation")).status is TaskStatus.REJECTED
    await verified(live)


async def test_hostile_input_nul_in_audited_content_does_not_stop_the_task(live: LiveStack) -> None:
    order_id = unique("ord")
    await seed_orders(
        live.pool,
        [DemoOrder(order_id=order_id, customer_email=f"nul-{order_id}@example.com", total=Decimal(900))],
    )
    hostile = AgentTaskInput(
        task_id=unique("refund"),
        kind="refund",
        requester="svc",
        subject={"order_id": order_id, "amount": 250, "customer_message": "refund\x00me"},
    )
    # A task whose own subject PostgreSQL refuses: its audit writes are substituted, escaped.
    handle = await start_task(live.client, hostile)
    await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: len(s.open_requests) == 1
    )
    assert (await decided(live, "reject", handle, "--reason", "fraud_risk")).status is TaskStatus.REJECTED
    started = await live.pool.fetchrow(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'task_started'", handle.id
    )
    assert started is not None
    assert "substituted" in started["data"]
    finished = await live.pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'task_finished'", handle.id
    )
    assert finished == 1
    await verified(live)


async def test_hostile_input_a_flood_of_refused_signals_adds_little_history(live: LiveStack) -> None:
    task = await live.waiting_refund(250)
    for _ in range(55):
        with pytest.raises(RPCError, match="Blob data size exceeds limit"):
            await task.signal(DECIDE, json.loads(MEGABYTE_REVIEWER))
    history = (await task.fetch_history()).events
    assert not [e for e in history if e.HasField("workflow_execution_signaled_event_attributes")]
    before = len(history)
    flood = 40
    for n in range(flood):
        # One at a time, each taken before the next (the worst case: a workflow task and an audit
        # write per refusal; a burst shares them).
        await task.signal(DECIDE, {"outcome": "approve", "reviewer": f"bot-{n}-" + "x" * 150_000})
        await refusals(task, n + 1)
    events = (await task.fetch_history()).events[before:]
    payloads = sum(
        p.ByteSize()
        for e in events
        if e.HasField("workflow_execution_signaled_event_attributes")
        for p in e.workflow_execution_signaled_event_attributes.input.payloads
    )
    added = sum(e.ByteSize() for e in events)
    per_refusal = (added - payloads) / flood
    print(f"history bytes per refused signal beyond its payload: {per_refusal:.0f} ({flood} signals)")
    assert per_refusal < REFUSAL_BYTES

    result = await decided(live, "approve", task)
    assert result.status is TaskStatus.COMPLETED
    audited = await live.pool.fetch(
        "SELECT kind FROM audit_events WHERE task_id = $1 AND kind IN ('decision_refused', 'task_finished')",
        task.id,
    )
    assert sorted(r["kind"] for r in audited) == ["decision_refused"] * flood + ["task_finished"]
    await verified(live)
