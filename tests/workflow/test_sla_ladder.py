"""SLA ladders on durable timers: escalation, reminders, fallbacks, and what the queue shows."""

import json
from datetime import timedelta

from temporalio.api.common.v1 import SearchAttributes, WorkflowExecution
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.converter import decode_typed_search_attributes

from hitl import search_attributes as sa
from hitl.contracts import StepStatus, TaskStatus
from tests.workflow.conftest import Handle, Harness

HOUR = timedelta(hours=1)


async def attributes(client: Client, handle: Handle) -> dict[str, object]:
    """The HITL search attributes, read raw: the time-skipping server keeps an unset attribute
    as an empty or `null` payload that `describe()` cannot decode (the dev server drops it)."""
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    fields = raw.workflow_execution_info.search_attributes.indexed_fields
    present = {name: payload for name, payload in fields.items() if payload.data not in (b"", b"null")}
    found = decode_typed_search_attributes(SearchAttributes(indexed_fields=present))
    return {key.name: found.get(key) for key in sa.ALL_KEYS}


async def audit_offsets(h: Harness, handle: Handle, kinds: tuple[str, ...]) -> list[tuple[str, float]]:
    rows = await h.pool.fetch(
        "SELECT kind, occurred_at FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id
    )
    start = next(r["occurred_at"] for r in rows if r["kind"] == "gated")
    return [
        (r["kind"], round((r["occurred_at"] - start).total_seconds() / 3600, 3))
        for r in rows
        if r["kind"] in kinds
    ]


async def test_three_tier_ladder_escalates_at_4h_and_12h_and_rejects_at_36h_of_workflow_time(
    harness: Harness,
) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)

    result = await handle.result()

    assert (result.status, result.reason) == (
        TaskStatus.REJECTED,
        "no decision before the escalation ladder ran out (reject)",
    )
    assert result.steps[1].decided_by == "system"
    assert await audit_offsets(harness, handle, ("escalated", "fallback")) == [
        ("escalated", 4.0),
        ("escalated", 12.0),
        ("fallback", 36.0),
    ]
    notices = [json.loads(line) for line in harness.outbox.read_text().splitlines()]
    mine = [(n["kind"], n["groups"][0]) for n in notices if n["task_id"] == handle.id]
    # Notices sent at the same moment (an escalation and its reminder) arrive in either order.
    assert sorted(mine) == sorted(
        [
            ("new_request", "support-leads"),
            ("escalation", "managers"),
            ("reminder", "support-leads"),
            ("escalation", "directors"),
            ("outcome", "support-leads"),
            ("outcome", "managers"),
            ("outcome", "directors"),
        ]
    )


async def test_the_queue_stays_true_at_every_transition(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    request = (await harness.wait_pending(handle)).requests[0]
    assert await attributes(harness.client, handle) == {
        "HitlStatus": "waiting",
        "HitlAssignees": ["support-leads"],
        "HitlRiskTier": "high_risk_write",
        "HitlActionType": "issue_refund",
        "HitlAmount": 250.0,
        "HitlDeadline": request.opened_at + 4 * HOUR,
        "HitlTier": 0,
    }
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details.startswith("### Approval `approval-1`: Refund 250 USD")
    assert "`amount.above_threshold`" in metadata.current_details
    assert f"temporal workflow signal --workflow-id {handle.id} --name decide" in metadata.current_details

    await harness.skip(4 * HOUR + timedelta(minutes=1))
    escalated = await harness.wait_request(handle, "approval-1")
    assert (escalated.tier, escalated.assignees) == (1, ["managers"])
    now = await attributes(harness.client, handle)
    assert (now["HitlTier"], now["HitlAssignees"], now["HitlDeadline"]) == (
        1,
        ["managers"],
        request.opened_at + 12 * HOUR,
    )

    await harness.decide(handle, outcome="approve", reviewer="alice")
    await harness.decide(handle, outcome="approve", reviewer="carol")
    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "carol")
    assert [r.code for r in (await harness.status(handle)).refusals] == ["outside_tier"]
    final = await attributes(harness.client, handle)
    assert (final["HitlStatus"], final["HitlAssignees"], final["HitlDeadline"], final["HitlTier"]) == (
        "completed",
        None,
        None,
        None,
    )


async def test_hold_fallback_keeps_waiting_without_a_deadline(harness: Harness) -> None:
    policy = harness.refund_policy("refund_hold", {'fallback = "reject"': 'fallback = "hold"'})
    handle = await harness.refund_task(250, policy=policy)
    await harness.wait_pending(handle)
    await harness.skip(37 * HOUR)
    held = await harness.wait_request(handle, "approval-1")
    assert (held.tier, held.deadline) == (2, None)
    assert (await attributes(harness.client, handle))["HitlDeadline"] is None
    await harness.decide(handle, outcome="approve", reviewer="erin")
    assert (await handle.result()).status is TaskStatus.COMPLETED


async def test_approve_fallback_applies_to_low_risk_actions_only(harness: Harness) -> None:
    low = harness.refund_policy(
        "refund_low_auto",
        {
            'tier = "high_risk_write"': 'tier = "low_risk_write"',
            'fallback = "reject"': 'fallback = "approve"',
        },
    )
    handle = await harness.refund_task(250, policy=low)
    result = await handle.result()
    refund = result.steps[1]
    assert (result.status, refund.status, refund.decided_by) == (
        TaskStatus.COMPLETED,
        StepStatus.EXECUTED,
        "system",
    )

    high = harness.refund_policy("refund_high_auto", {'fallback = "reject"': 'fallback = "approve"'})
    handle = await harness.refund_task(250, policy=high)
    pending = await harness.wait_pending(handle)
    assert "fallback.no_auto_approve" in [r.id for r in pending.requests[0].verdict.reasons]
    result = await handle.result()
    assert (result.status, result.steps[1].status) == (TaskStatus.REJECTED, StepStatus.REJECTED)
