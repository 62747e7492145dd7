"""The one validation function behind the `decide` signal and update: every refusal code."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.tools.refund import IssueRefundArgs
from hitl.contracts import Decision, Outcome, ProposedAction, RequestKind, RequestState, ReviewRequest
from policies.evaluate import EvaluationContext, evaluate
from policies.identity import IdentityRules
from policies.model import Policy
from policies.parse import parse_policy
from workflows.gate.validation import Arrival, OpenRequest, check_decision

SHIPPED = parse_policy((Path(__file__).parents[2] / "policies" / "refund.toml").read_text(), "refund.toml")
POLICY = SHIPPED.model_copy(update={"identity": IdentityRules()})
"""The shipped refund policy without its proof requirement: these tests are about the directory."""
HERE = Arrival("default", "refund-1", "run-1", datetime(2026, 1, 1, tzinfo=UTC))
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
    return OpenRequest(request=review, args_model=IssueRefundArgs, fixed=frozenset({"order_id", "currency"}))


def code(
    decision: Decision, requests: dict[str, OpenRequest], requester: str = "svc", policy: Policy = POLICY
) -> str:
    return check_decision(decision, requests, policy, requester, HERE).code


def d(**fields: object) -> Decision:
    return Decision.model_validate({"outcome": "approve", "reviewer": "alice", **fields})


def test_a_valid_decision_addresses_the_only_open_request() -> None:
    only = request()
    check = check_decision(d(), {"approval-1": only}, POLICY, "svc", HERE)
    assert (check.refused, check.target) == (False, only)


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (d(request_id="approval-9"), "unknown_request"),
        (d(reviewer="mallory"), "unknown_reviewer"),
        (d(reviewer="svc"), "self_decision"),
        (d(outcome="answer", answer="yes"), "outcome_not_allowed"),
        (d(outcome="modify", patch={"amount": -3}), "invalid_patch"),
        (d(outcome="modify", patch={"reason": ["not", "text"]}), "invalid_patch"),
        (d(outcome="modify", patch={"currency": "EUR"}), "fixed_argument"),
        (d(outcome="modify", patch={"order_id": "OTHER"}), "fixed_argument"),
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
    assert code(d(reviewer="\uff21LICE "), {"approval-1": pair}) == "duplicate_approver"  # fullwidth A
    assert code(d(reviewer="bob"), {"approval-1": pair}) == ""
    assert code(d(outcome="reject"), {"approval-1": pair}) == ""


def test_a_patch_is_merged_and_validated_against_the_tool_model() -> None:
    check = check_decision(
        d(outcome="modify", patch={"amount": 120}), {"approval-1": request()}, POLICY, "svc", HERE
    )
    assert check.patched_args == {"order_id": "o-1", "amount": 120.0, "currency": "USD", "reason": ""}


def test_names_compare_normalized_for_the_directory_and_the_requester() -> None:
    one = {"approval-1": request()}
    assert code(d(reviewer=" Alice"), one) == ""
    assert code(d(reviewer="ALICE"), one, requester="alice") == "self_decision"
    assert code(d(reviewer="alice"), one, requester="Alice ") == "self_decision"


def test_a_patch_is_judged_by_the_policy_as_the_action_that_will_run() -> None:
    big = {"approval-1": request(900)}
    assert code(d(outcome="modify", patch={"amount": 1200}), big) == "over_limit"
    blocked = POLICY.model_copy(
        update={"tools": {k: v for k, v in POLICY.tools.items() if k != "issue_refund"}}
    )
    assert code(d(outcome="modify", patch={"amount": 50}), big, policy=blocked) == "patch_blocked"


def test_the_shipped_policy_counts_no_unsigned_decision_on_a_high_risk_action() -> None:
    assert code(d(), {"approval-1": request()}, policy=SHIPPED) == "unverified"
    assert code(d(outcome="reject"), {"approval-1": request()}, policy=SHIPPED) == "unverified"
