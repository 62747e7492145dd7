"""The configuration-change workflow: the same gate, two approvers, an undo (points 4 and 9)."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from hitl.client import decide
from hitl.contracts import Decision, DecisionReceipt, Outcome, RequestKind, StepStatus, TaskStatus
from tests.support import unique
from tests.workflow.conftest import Handle, Harness


async def value_of(h: Harness, key: str) -> tuple[object, int] | None:
    row = await h.pool.fetchrow(
        "SELECT value, version FROM ops.config_values WHERE service = 'checkout' AND key = $1", key
    )
    return (row["value"], row["version"]) if row else None


async def approve_by_two(h: Harness, handle: Handle) -> None:
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="sam", decision_id="d-sam")
    await h.decide(handle, outcome="approve", reviewer="riley", decision_id="d-riley")


async def test_two_distinct_approvers_then_the_change_applies_and_its_window_closes(harness: Harness) -> None:
    handle = await harness.config_change(2500)
    key = (await handle.describe()).id
    request = await harness.wait_request(handle, "approval-1")
    assert request.verdict.quorum == 2
    assert request.allowed_outcomes == [Outcome.APPROVE, Outcome.REJECT]
    assert "**Quorum** 0 of 2 approvals (none yet)" in request.card

    first = await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="sam", decision_id="d-1"))
    assert await decide(harness.client, handle.id, first) == DecisionReceipt(
        accepted=True, request_id="approval-1", decision_id="d-1", message="approval 1 of 2 recorded"
    )
    again = await decide(harness.client, handle.id, first)
    assert again.duplicate is True
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await decide(
            harness.client,
            handle.id,
            await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="sam")),
        )
    assert isinstance(twice.value.cause, ApplicationError)
    assert twice.value.cause.type == "duplicate_approver"
    progress = await harness.wait_request(handle, "approval-1")
    assert progress.approvals == ["sam"]
    assert "**Quorum** 1 of 2 approvals (sam)" in progress.card

    await harness.decide(handle, outcome="approve", reviewer="riley")
    watch = await harness.wait_request(handle, "post_review-1")
    assert (watch.kind, watch.allowed_outcomes) == (
        RequestKind.POST_REVIEW,
        [Outcome.APPROVE, Outcome.REVERT],
    )
    assert watch.deadline is not None and watch.deadline - watch.opened_at == timedelta(minutes=30)

    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.status, s.decided_by) for s in result.steps] == [
        ("read_config", StepStatus.EXECUTED, None),
        ("apply_config_change", StepStatus.EXECUTED, "sam,riley"),
    ]
    assert await value_of(harness, result.steps[1].args["key"]) == (2500, 1)
    del key


async def test_any_rejection_rejects_and_nothing_is_applied(harness: Harness) -> None:
    handle = await harness.config_change(10)
    await harness.wait_request(handle, "approval-1")
    await harness.decide(handle, outcome="approve", reviewer="sam")
    await harness.decide(handle, outcome="reject", reviewer="noor", reason_code="timing", comment="freeze")
    result = await handle.result()
    assert (result.status, result.reason) == (TaskStatus.REJECTED, "freeze")
    assert await value_of(harness, result.steps[1].args["key"]) is None


async def test_revert_in_the_review_window_restores_the_previous_value(harness: Harness) -> None:
    key = "timeout-revert"
    await harness.pool.execute(
        "INSERT INTO ops.config_values (service, key, value) VALUES ('checkout', $1, '800'::jsonb)"
        " ON CONFLICT (service, key) DO UPDATE SET value = '800'::jsonb, version = 1",
        key,
    )
    handle = await harness.config_change(2500, key=key)
    await approve_by_two(harness, handle)
    await harness.wait_request(handle, "post_review-1")
    assert await value_of(harness, key) == (2500, 2)
    await harness.decide(handle, outcome="revert", reviewer="lee", comment="error rate doubled")
    result = await handle.result()

    assert (result.status, result.reason) == (
        TaskStatus.COMPENSATED,
        "the change was reverted during its review window",
    )
    assert result.steps[1].status is StepStatus.REVERTED
    assert await value_of(harness, key) == (800, 3)
    kinds = await harness.pool.fetch(
        "SELECT kind FROM audit_events WHERE task_id = $1 AND kind IN ('executed', 'reverted') ORDER BY seq",
        handle.id,
    )
    assert [r["kind"] for r in kinds] == ["executed", "executed", "reverted"]


async def test_cancellation_after_the_change_undoes_it(harness: Harness) -> None:
    handle = await harness.config_change(42)
    await approve_by_two(harness, handle)
    await harness.wait_request(handle, "post_review-1")
    await handle.cancel()
    result = await handle.result()
    assert (result.status, result.reason) == (TaskStatus.COMPENSATED, "the change was cancelled")
    assert result.steps[1].status is StepStatus.COMPENSATED
    assert await value_of(harness, result.steps[1].args["key"]) is None


async def test_novelty_is_per_setting_a_first_change_of_a_key_is_called_out(harness: Harness) -> None:
    def fired(request_rules: list[str]) -> bool:
        return "novelty.no_precedent" in request_rules

    key = unique("pool-size")
    first = await harness.config_change(10, key=key)
    request = await harness.wait_request(first, "approval-1")
    assert fired([r.id for r in request.verdict.reasons])
    assert "no precedent for apply_config_change on this subject" in request.card
    await approve_by_two(harness, first)
    assert (await first.result()).status is TaskStatus.COMPLETED

    again = await harness.config_change(12, key=key)
    assert not fired([r.id for r in (await harness.wait_request(again, "approval-1")).verdict.reasons])
    other = await harness.config_change(12, key=unique("pool-size"))
    assert fired([r.id for r in (await harness.wait_request(other, "approval-1")).verdict.reasons])
    started = await harness.pool.fetchval(
        "SELECT data->'novel_action_types' FROM audit_events WHERE task_id = $1 AND kind = 'task_started'",
        again.id,
    )
    assert started == ["read_config"]  # read-only: never approved by a human, never waits on novelty
