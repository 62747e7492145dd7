"""The one validation function behind the `decide` signal and update: every refusal code."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.tools.refund import IssueRefundArgs
from hitl.contracts import Decision, Outcome, ProposedAction, RequestKind, RequestState, ReviewRequest
from policies.evaluate import EvaluationContext, evaluate
from policies.parse import parse_policy
from workflows.gate.validation import OpenRequest, check_decision

POLICY = parse_policy((Path(__file__).parents[2] / "policies" / "refund.toml").read_text(), "refund.toml")
APPROVAL = [Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT, Outcome.REQUEST_CHANGES]


def request(
    amount: float = 250, *, tier: int = 0, request_id: str = "approval-1", quorum: int = 1
) -> OpenRequest:
    action = ProposedAction(
        step=1, tool="issue_refund", args={"order_id": "o-1", "amount": amount, "currency": "USD"}
    )
    verdict = evaluate(POLICY, action, EvaluationContext()).model_copy(update={"quorum": quorum})
    review = ReviewRequest(
        request_id=request_id,
        kind=RequestKind.APPROVAL,
        action=action,
        verdict=verdict,
        card="",
        allowed_outcomes=APPROVAL,
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        deadline=None,
        tier=tier,
        assignees=[verdict.ladder[tier].group],
    )
    return OpenRequest(request=review, args_model=IssueRefundArgs)


def code(decision: Decision, requests: dict[str, OpenRequest], requester: str = "svc") -> str:
    return check_decision(decision, requests, POLICY, requester).code


def d(**fields: object) -> Decision:
    return Decision.model_validate({"outcome": "approve", "reviewer": "alice", **fields})


def test_a_valid_decision_addresses_the_only_open_request() -> None:
    only = request()
    check = check_decision(d(), {"approval-1": only}, POLICY, "svc")
    assert (check.refused, check.target) == (False, only)


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (d(request_id="approval-9"), "unknown_request"),
        (d(reviewer="mallory"), "unknown_reviewer"),
        (d(reviewer="svc"), "self_decision"),
        (d(outcome="answer", answer="yes"), "outcome_not_allowed"),
        (d(outcome="modify", patch={"amount": -3}), "invalid_patch"),
        (d(outcome="modify", patch={"currency": "DOLLARS"}), "invalid_patch"),
        (d(outcome="modify", patch={"amount": 1500}), "over_limit"),
    ],
)
def test_refusals_on_one_open_request(decision: Decision, expected: str) -> None:
    assert code(decision, {"approval-1": request()}) == expected


def test_amount_above_the_reviewers_limit_is_refused_but_a_higher_tier_may_approve() -> None:
    big = {"approval-1": request(1800)}
    assert code(d(reviewer="alice"), big) == "over_limit"
    assert code(d(reviewer="carol"), big) == ""
    assert code(d(reviewer="alice", outcome="reject"), big) == ""


def test_reviewers_below_the_current_tier_are_refused() -> None:
    escalated = {"approval-1": request(tier=1)}
    assert code(d(reviewer="alice"), escalated) == "outside_tier"
    assert code(d(reviewer="carol"), escalated) == ""
    assert code(d(reviewer="erin"), escalated) == ""


def test_closed_and_timed_out_requests() -> None:
    closed = request()
    closed.request = closed.request.model_copy(update={"state": RequestState.DECIDED})
    assert code(d(request_id="approval-1"), {"approval-1": closed}) == "request_closed"
    fallen = request()
    fallen.fallback_fired = True
    fallen.request = fallen.request.model_copy(update={"state": RequestState.TIMED_OUT})
    assert code(d(request_id="approval-1"), {"approval-1": fallen}) == "after_fallback"


def test_request_id_may_be_omitted_only_when_exactly_one_is_open() -> None:
    assert code(d(), {}) == "no_open_request"
    two = {"approval-1": request(), "approval-2": request(request_id="approval-2")}
    assert code(d(), two) == "ambiguous_request"
    assert code(d(request_id="approval-2"), two) == ""


def test_the_same_reviewer_counts_once_toward_a_quorum() -> None:
    pair = request(quorum=2)
    pair.approvals["alice"] = d()
    assert code(d(), {"approval-1": pair}) == "duplicate_approver"
    assert code(d(reviewer="bob"), {"approval-1": pair}) == ""
    assert code(d(outcome="reject"), {"approval-1": pair}) == ""


def test_a_patch_is_merged_and_validated_against_the_tool_model() -> None:
    check = check_decision(
        d(outcome="modify", patch={"amount": 120}), {"approval-1": request()}, POLICY, "svc"
    )
    assert check.patched_args == {"order_id": "o-1", "amount": 120.0, "currency": "USD", "reason": ""}
