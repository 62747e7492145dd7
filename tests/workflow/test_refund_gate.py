"""The refund slice on the time-skipping server: auto, approve, reject, and the audit it leaves."""

import json

import asyncpg

from hitl.contracts import Decision, Outcome, StepStatus, TaskResult, TaskStatus
from hitl.names import DECIDE
from tests.workflow.conftest import Handle, Harness


async def refunds_of(pool: asyncpg.Pool, handle: Handle) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT amount, status FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    return rows


async def audit_kinds(pool: asyncpg.Pool, task_id: str) -> list[str]:
    rows = await pool.fetch("SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", task_id)
    return [r["kind"] for r in rows]


async def test_small_refund_runs_on_its_own(harness: Harness) -> None:
    handle = await harness.refund_task(40)
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.status, s.mode) for s in result.steps] == [
        ("lookup_order", StepStatus.EXECUTED, "auto"),
        ("issue_refund", StepStatus.EXECUTED, "auto"),
        ("email_customer", StepStatus.EXECUTED, "auto"),
        ("close_ticket", StepStatus.EXECUTED, "auto"),
    ]
    assert [tuple(r) for r in await refunds_of(harness.pool, handle)] == [(40, "issued")]


async def test_large_refund_waits_and_approval_executes_it_once(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    pending = await harness.wait_pending(handle)
    request = pending.requests[0]
    assert request.request_id == "approval-1"
    assert request.action.args["amount"] == 250
    assert request.assignees == ["support-leads"]
    assert "amount.above_threshold" in request.card
    assert "temporal workflow signal --workflow-id" in request.card

    await handle.signal(
        DECIDE, await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="alice"))
    )
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    refund_step = result.steps[1]
    assert (refund_step.tool, refund_step.status, refund_step.decided_by) == (
        "issue_refund",
        StepStatus.EXECUTED,
        "alice",
    )
    assert [tuple(r) for r in await refunds_of(harness.pool, handle)] == [(250, "issued")]
    kinds = await audit_kinds(harness.pool, handle.id)
    assert kinds[:4] == ["task_started", "proposed", "verdict", "executed"]
    assert kinds.count("gated") == 1
    assert kinds.count("decision_accepted") == 1
    assert kinds.index("gated") < kinds.index("decision_accepted") < kinds.index("executed", 4)
    assert kinds[-1] == "task_finished"
    feedback = await harness.pool.fetchrow(
        "SELECT outcome, reviewers, proposed_args, final_args FROM feedback WHERE task_id = $1", handle.id
    )
    assert feedback["outcome"] == "approve"
    assert feedback["reviewers"] == ["alice"]
    assert feedback["final_args"] == feedback["proposed_args"]


async def test_rejection_ends_the_task_with_no_refund(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await handle.signal(
        DECIDE,
        await harness.sign(
            handle,
            Decision(outcome=Outcome.REJECT, reviewer="bob", reason_code="policy", comment="not eligible"),
        ),
    )
    result: TaskResult = await handle.result()
    assert result.status is TaskStatus.REJECTED
    assert result.reason == "not eligible"
    assert [(s.tool, s.status) for s in result.steps] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.REJECTED),
    ]
    assert await refunds_of(harness.pool, handle) == []


async def test_notifications_reach_the_outbox(harness: Harness) -> None:
    handle = await harness.refund_task(300)
    await harness.wait_pending(handle)
    await handle.signal(
        DECIDE, await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="alice"))
    )
    await handle.result()
    notices = [json.loads(line) for line in harness.outbox.read_text().splitlines()]
    mine = [(n["kind"], n["groups"]) for n in notices if n["task_id"] == handle.id]
    assert ("new_request", ["support-leads"]) in mine
    assert mine.count(("outcome", ["support-leads"])) == 1
