"""Every outcome a reviewer can choose, with exact results (issue: the human gate, point 1)."""

from decimal import Decimal

from hitl.contracts import Outcome, RequestKind, StepStatus, TaskStatus
from tests.workflow.conftest import Handle, Harness


async def refund_rows(h: Harness, handle: Handle) -> list[tuple[Decimal, str]]:
    rows = await h.pool.fetch(
        "SELECT amount, status FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    return [(r["amount"], r["status"]) for r in rows]


async def test_modify_executes_the_patched_action_and_records_the_diff(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(
        handle, outcome="modify", reviewer="alice", patch={"amount": 200}, reason_code="wrong_amount"
    )
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    refund = result.steps[1]
    assert (refund.status, refund.args["amount"], refund.decided_by) == (StepStatus.EXECUTED, 200, "alice")
    assert await refund_rows(harness, handle) == [(Decimal("200.00"), "issued")]
    diff = await harness.pool.fetchval(
        "SELECT data->'diff' FROM audit_events WHERE task_id = $1 AND kind = 'decision_accepted'", handle.id
    )
    assert diff == {"amount": [250, 200]}
    feedback = await harness.pool.fetchrow(
        "SELECT outcome, reason_code, (proposed_args->>'amount')::float AS proposed,"
        " (final_args->>'amount')::float AS final"
        " FROM feedback WHERE task_id = $1",
        handle.id,
    )
    assert dict(feedback) == {
        "outcome": "modify",
        "reason_code": "wrong_amount",
        "proposed": 250.0,
        "final": 200.0,
    }


async def test_reject_ends_the_task_and_the_agent_receives_the_comment(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(
        handle, outcome="reject", reviewer="bob", reason_code="fraud_risk", comment="third refund this week"
    )
    result = await handle.result()

    assert (result.status, result.reason) == (TaskStatus.REJECTED, "third refund this week")
    assert result.message == "I stopped after issue_refund was rejected: third refund this week"
    assert await refund_rows(harness, handle) == []
    code = await harness.pool.fetchval("SELECT reason_code FROM feedback WHERE task_id = $1", handle.id)
    assert code == "fraud_risk"


async def test_request_changes_sends_the_revision_through_policy_again(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="request_changes", reviewer="alice", comment="refund 90 instead")
    result = await handle.result()

    # The revised refund (90) is under the threshold (100): policy lets it run without a gate.
    assert result.status is TaskStatus.COMPLETED
    refund = result.steps[1]
    assert (refund.tool, refund.status, refund.mode, refund.args["amount"]) == (
        "issue_refund",
        StepStatus.EXECUTED,
        "auto",
        90,
    )
    revisions = await harness.pool.fetch(
        "SELECT (data->>'revision')::int AS r, (data->'args'->>'amount')::float AS amount FROM audit_events"
        " WHERE task_id = $1 AND kind = 'proposed' AND data->>'tool' = 'issue_refund' ORDER BY seq",
        handle.id,
    )
    assert [(r["r"], r["amount"]) for r in revisions] == [(0, 250.0), (1, 90.0)]


async def test_request_changes_rounds_are_bounded_by_policy(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    for round_id in ("approval-1", "approval-1.2"):
        request = await harness.wait_request(handle, round_id)
        assert Outcome.REQUEST_CHANGES in request.allowed_outcomes
        await harness.decide(
            handle, request_id=round_id, outcome="request_changes", reviewer="alice", comment="check again"
        )
    last = await harness.wait_request(handle, "approval-1.3")
    assert last.allowed_outcomes == [Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT]
    await harness.decide(handle, outcome="request_changes", reviewer="alice", comment="again")
    await harness.decide(handle, outcome="approve", reviewer="alice")
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    status = await harness.status(handle)
    assert [r.code for r in status.refusals] == ["outcome_not_allowed"]


async def test_question_gate_feeds_the_answer_back_to_the_agent(harness: Harness) -> None:
    handle = await harness.refund_task(250, ambiguous=True)
    pending = await harness.wait_pending(handle)
    question = pending.requests[0]
    assert (question.kind, question.request_id) == (RequestKind.QUESTION, "question-1")
    assert question.action.question == "Does the customer want a refund of 250 or a replacement?"
    assert question.allowed_outcomes == [Outcome.ANSWER, Outcome.REJECT]
    await harness.decide(
        handle, outcome="answer", reviewer="alice", answer="a refund of 80, the rest as credit"
    )
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.status) for s in result.steps[:3]] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.CLARIFIED),
        ("issue_refund", StepStatus.EXECUTED),
    ]
    assert result.steps[2].args["amount"] == 80
    assert await refund_rows(harness, handle) == [(Decimal("80.00"), "issued")]


async def test_an_answer_can_stop_the_agent(harness: Harness) -> None:
    handle = await harness.refund_task(250, ambiguous=True)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="answer", reviewer="bob", answer="they want a replacement")
    result = await handle.result()
    assert (result.status, result.message) == (
        TaskStatus.COMPLETED,
        "no refund: the reviewer answered 'they want a replacement'",
    )
    assert await refund_rows(harness, handle) == []
