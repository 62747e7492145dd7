"""Circuit breaker, compensation and post-hoc review (points 6, 7 and 8)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

import asyncpg

from hitl.contracts import Outcome, RequestKind, StepStatus, TaskStatus
from tests.support import unique
from tests.workflow.conftest import Handle, Harness

EMAIL_GATED = {
    '[tools.email_customer]\ntier = "low_risk_write"': '[tools.email_customer]\ntier = "high_risk_write"\nladder = "refunds"'
}


@asynccontextmanager
async def failing_writes(admin: asyncpg.Pool, table: str, order_id: str) -> AsyncIterator[None]:
    """Make every insert into `table` for `order_id` fail, as an outage of that system would
    (as the superuser: the workers' role may not add triggers)."""
    name = unique("fail").replace("-", "_")
    await admin.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF NEW.order_id = '{order_id}' THEN RAISE EXCEPTION 'provider unavailable'; END IF;"
        f" RETURN NEW; END $$"
    )
    await admin.execute(
        f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
    )
    try:
        yield
    finally:
        await admin.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        await admin.execute(f"DROP FUNCTION IF EXISTS {name}()")


async def refunds(h: Harness, handle: Handle) -> list[tuple[Decimal, str]]:
    rows = await h.pool.fetch(
        "SELECT amount, status FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    return [(r["amount"], r["status"]) for r in rows]


async def attempts_of(handle: Handle, activity_type: str) -> list[int]:
    """The attempt number each run of `activity_type` ended on, in order, from the history
    (the server records only the last attempt's start of a retried activity)."""
    history = await handle.fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    }
    return [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]


async def test_a_failing_tool_opens_an_incident_and_retry_resumes(
    harness: Harness, admin_pool: asyncpg.Pool
) -> None:
    order = unique("ord")
    async with failing_writes(admin_pool, "shop.refunds", order):
        handle = await harness.refund_task(40, order_id=order)
        incident = await harness.wait_request(handle, "incident-1")
    assert (incident.kind, incident.allowed_outcomes) == (
        RequestKind.INCIDENT,
        [Outcome.RETRY, Outcome.SKIP, Outcome.ABORT],
    )
    assert incident.action.summary.startswith("Incident: issue_refund failed: ")
    failures = await harness.pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'failed'", handle.id
    )
    assert failures == 1  # one audited failure for the three attempts
    assert await attempts_of(handle, "issue_refund") == [3]  # three tries before the incident
    await harness.decide(handle, outcome="retry", reviewer="alice")
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert await attempts_of(handle, "issue_refund") == [3, 1]
    assert await refunds(harness, handle) == [(Decimal("40.00"), "issued")]


async def test_skip_leaves_the_step_out_and_the_agent_stops_the_refund(
    harness: Harness, admin_pool: asyncpg.Pool
) -> None:
    order = unique("ord")
    async with failing_writes(admin_pool, "shop.refunds", order):
        handle = await harness.refund_task(40, order_id=order)
        await harness.wait_request(handle, "incident-1")
        await harness.decide(handle, outcome="skip", reviewer="bob")
        result = await handle.result()
    assert (result.status, result.steps[1].status) == (TaskStatus.COMPLETED, StepStatus.SKIPPED)
    assert result.message.startswith("no refund: skipped after failure:")
    assert await refunds(harness, handle) == []


async def test_abort_after_executed_steps_undoes_them(harness: Harness, admin_pool: asyncpg.Pool) -> None:
    order = unique("ord")
    async with failing_writes(admin_pool, "shop.emails", order):
        handle = await harness.refund_task(40, order_id=order)
        await harness.wait_request(handle, "incident-2")
        await harness.decide(handle, outcome="abort", reviewer="carol", comment="provider down")
        result = await handle.result()
    assert (result.status, result.reason) == (TaskStatus.COMPENSATED, "provider down")
    assert [(s.tool, s.status) for s in result.steps] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.COMPENSATED),
        ("email_customer", StepStatus.FAILED),
    ]
    assert await refunds(harness, handle) == [(Decimal("40.00"), "reversed")]


async def test_rejection_after_executed_steps_compensates_in_reverse(harness: Harness) -> None:
    policy = harness.refund_policy("refund_email_gated", EMAIL_GATED)
    handle = await harness.refund_task(40, policy=policy)
    request = await harness.wait_request(handle, "approval-2")
    assert request.action.tool == "email_customer"
    await harness.decide(handle, outcome="reject", reviewer="alice", comment="wrong tone")
    result = await handle.result()

    assert (result.status, result.reason) == (TaskStatus.COMPENSATED, "wrong tone")
    assert [(s.tool, s.status) for s in result.steps] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.COMPENSATED),
        ("email_customer", StepStatus.REJECTED),
    ]
    assert await refunds(harness, handle) == [(Decimal("40.00"), "reversed")]
    compensated = await harness.pool.fetch(
        "SELECT data->>'tool' AS tool FROM audit_events WHERE task_id = $1 AND kind = 'compensated'",
        handle.id,
    )
    assert [r["tool"] for r in compensated] == ["issue_refund"]


async def test_cancellation_compensates(harness: Harness) -> None:
    policy = harness.refund_policy("refund_email_gated_c", EMAIL_GATED)
    handle = await harness.refund_task(40, policy=policy)
    await harness.wait_request(handle, "approval-2")
    await handle.cancel()
    result = await handle.result()
    assert (result.status, result.reason) == (TaskStatus.COMPENSATED, "the task was cancelled")
    assert await refunds(harness, handle) == [(Decimal("40.00"), "reversed")]


REVIEWED = {
    'approve_above = 100\nladder = "refunds"': 'approve_above = 100\nladder = "refunds"\nreview_sample_rate = 1.0\nreview_window = "2h"'
}


async def test_post_hoc_review_can_revert_within_its_window(harness: Harness) -> None:
    policy = harness.refund_policy("refund_reviewed", REVIEWED)
    handle = await harness.refund_task(40, policy=policy)
    review = await harness.wait_request(handle, "post_review-1")
    assert (review.kind, review.allowed_outcomes) == (
        RequestKind.POST_REVIEW,
        [Outcome.APPROVE, Outcome.REVERT],
    )
    assert review.deadline is not None and review.deadline - review.opened_at == timedelta(hours=2)
    await harness.decide(handle, outcome="revert", reviewer="carol", reason_code="fraud_risk")
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert result.steps[1].status is StepStatus.REVERTED
    assert await refunds(harness, handle) == [(Decimal("40.00"), "reversed")]


async def test_post_hoc_review_window_closes_on_its_timer(harness: Harness) -> None:
    policy = harness.refund_policy("refund_reviewed_t", REVIEWED)
    handle = await harness.refund_task(40, policy=policy)
    await harness.wait_request(handle, "post_review-1")
    result = await handle.result()
    assert (result.status, result.steps[1].status) == (TaskStatus.COMPLETED, StepStatus.EXECUTED)
    assert await refunds(harness, handle) == [(Decimal("40.00"), "issued")]
    kept = await harness.pool.fetchval(
        "SELECT data->>'outcome' FROM audit_events WHERE task_id = $1 AND kind = 'fallback'", handle.id
    )
    assert kept == "approve"
