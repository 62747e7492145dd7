"""Malformed and refused decisions never wedge a workflow: each is refused and recorded."""

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from hitl.client import decide
from hitl.contracts import Decision, DecisionReceipt, Outcome, TaskStatus, TaskStatusView
from hitl.names import DECIDE, STATUS_QUERY
from tests.support import assert_eventually
from tests.workflow.conftest import Handle, Harness
from workflows.gate.core import KEPT_REFUSALS


async def refusal_codes(handle: Handle, count: int) -> list[str]:
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView),
        lambda s: len(s.refusals) >= count,
    )
    return [r.code for r in status.refusals]


async def test_malformed_signals_are_refused_and_the_task_still_completes(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)

    await handle.signal(DECIDE)
    await handle.signal(
        DECIDE, RawValue(Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00approve"))
    )
    await handle.signal(DECIDE, {"outcome": "yes", "reviewer": "alice"})
    await handle.signal(DECIDE, "approve")
    await handle.signal(DECIDE, args=[{"outcome": "approve"}, {"reviewer": "alice"}])
    await handle.signal("approve", {"reviewer": "alice"})

    codes = await refusal_codes(handle, 6)
    assert codes == [
        "missing_payload",
        "not_json",
        "invalid_decision",
        "not_an_object",
        "too_many_arguments",
        "unknown_signal",
    ]
    status = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    assert status.refusals[2].reviewer == "alice"
    assert "outcome" in status.refusals[2].message

    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    rows = await harness.pool.fetch(
        "SELECT data->>'code' AS code FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'"
        " ORDER BY seq",
        handle.id,
    )
    assert [r["code"] for r in rows] == codes


async def test_refused_signal_decisions_are_recorded_with_their_reason(harness: Harness) -> None:
    handle = await harness.refund_task(250, requester="alice")
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="alice")
    await harness.decide(handle, outcome="approve", reviewer="mallory")  # signed, but no key is pinned
    await harness.decide(handle, outcome="approve", reviewer="carol", request_id="nope", signed=False)
    assert await refusal_codes(handle, 3) == ["self_decision", "unknown_key", "unknown_request"]


async def test_update_answers_at_once_refused_or_accepted(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await decide(harness.client, handle.id, Decision(outcome=Outcome.APPROVE, reviewer="zed"))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "unverified"

    approve = await harness.sign(handle, Decision(outcome=Outcome.APPROVE, reviewer="bob", decision_id="d-1"))
    receipt = await decide(harness.client, handle.id, approve)
    assert receipt == DecisionReceipt(
        accepted=True, request_id="approval-1", decision_id="d-1", message="approval-1: approve"
    )
    assert (await handle.result()).status is TaskStatus.COMPLETED


async def test_a_flood_of_bad_decisions_keeps_the_status_bounded_and_audits_every_one(
    harness: Harness,
) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    for n in range(KEPT_REFUSALS + 20):
        await handle.signal(DECIDE, {"outcome": "approve", "reviewer": f"bot-{n}"})
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView),
        lambda s: s.refusals_total == KEPT_REFUSALS + 20,
    )
    assert len(status.refusals) == KEPT_REFUSALS
    assert (status.refusals[0].reviewer, status.refusals[-1].reviewer) == (
        "bot-20",
        f"bot-{KEPT_REFUSALS + 19}",
    )

    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    audited = await harness.pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'", handle.id
    )
    assert audited == KEPT_REFUSALS + 20
