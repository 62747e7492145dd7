"""Who may see and decide a request in the inbox: the policies' directories and the ladder."""

from datetime import UTC, datetime
from pathlib import Path

import policies
from hitl.contracts import Outcome, ProposedAction, RequestKind, ReviewRequest, Verdict
from hitl.contracts.verdict import LadderTier, Mode, RiskTier
from hitl.inbox.directory import Directory, Standing

DIRECTORY = Directory.load(Path(policies.__file__).parent)
REFUND = next(s for s in DIRECTORY.snapshots if s.name == "refund")


def refund_request(
    amount: float, tier: int = 0, approvals: list[str] | None = None, policy_hash: str = ""
) -> ReviewRequest:
    ladder = [LadderTier(group=g, sla_seconds=3600) for g in ("support-leads", "managers", "directors")]
    return ReviewRequest(
        request_id="approval-1",
        kind=RequestKind.APPROVAL,
        action=ProposedAction(tool="issue_refund", args={"amount": amount}),
        verdict=Verdict(
            mode=Mode.APPROVE,
            risk_tier=RiskTier.HIGH,
            ladder=ladder,
            required_limit=amount,
            policy_hash=policy_hash or REFUND.hash,
        ),
        card="",
        allowed_outcomes=[Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT],
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        deadline=None,
        tier=tier,
        assignees=[ladder[tier].group],
        approvals=approvals or [],
    )


def test_a_lead_may_decide_but_not_approve_above_their_limit_and_sees_who_can() -> None:
    assert DIRECTORY.standing("alice", refund_request(1500)) == Standing(
        may_decide=True, may_approve=False, limit=1000.0, who_can_approve=["carol", "dave", "erin"]
    )
    assert DIRECTORY.standing("alice", refund_request(250)).may_approve is True


def test_higher_rungs_may_decide_early_and_lower_rungs_not_after_escalation() -> None:
    assert DIRECTORY.standing("erin", refund_request(250)).may_decide is True
    escalated = refund_request(250, tier=1)
    assert DIRECTORY.standing("alice", escalated).may_decide is False
    assert DIRECTORY.standing("carol", escalated).may_approve is True


def test_another_policys_reviewers_and_strangers_may_not_decide() -> None:
    for name in ("sam", "mallory"):
        assert DIRECTORY.standing(name, refund_request(250)).may_decide is False
    assert DIRECTORY.is_reviewer("sam") and not DIRECTORY.is_reviewer("mallory")


def test_who_already_approved_is_not_asked_again() -> None:
    standing = DIRECTORY.standing("bob", refund_request(250, approvals=["bob"]))
    assert (standing.may_approve, "bob" in standing.who_can_approve) == (False, False)


def test_a_request_from_a_policy_no_longer_on_disk_is_matched_by_its_groups() -> None:
    unknown = refund_request(250, policy_hash="gone")
    assert [p.name for p in DIRECTORY.policies_for(unknown)] == ["refund"]
    assert DIRECTORY.standing("alice", unknown).may_approve is True
