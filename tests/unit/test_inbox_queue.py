"""The review queue's visibility query and ordering, without a server."""

from datetime import UTC, datetime, timedelta

import pytest

from hitl.contracts.inbox import InboxEntry, InboxFilter
from hitl.review.queue import QueryValueError, build_query, order, priority, waiting_and

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_every_filter_becomes_a_clause() -> None:
    filters = InboxFilter(
        group="managers", tier=1, risk="high_risk_write", action="issue_refund", overdue=True
    )
    assert build_query(filters, NOW) == (
        'HitlStatus = "waiting" AND ExecutionStatus = "Running" AND HitlAssignees = "managers" '
        'AND HitlTier = 1 AND HitlRiskTier = "high_risk_write" AND HitlActionType = "issue_refund" '
        'AND HitlDeadline < "2026-03-01T12:00:00+00:00"'
    )
    assert build_query(InboxFilter(), NOW) == 'HitlStatus = "waiting" AND ExecutionStatus = "Running"'


@pytest.mark.parametrize("value", ['x" OR HitlStatus="done', "a b", "é"])
def test_values_that_could_break_the_query_are_refused(value: str) -> None:
    with pytest.raises(QueryValueError):
        build_query(InboxFilter(group=value), NOW)


def test_a_reviewer_query_is_restricted_to_open_requests() -> None:
    assert waiting_and("HitlAmount < 500") == (
        '(HitlAmount < 500) AND HitlStatus = "waiting" AND ExecutionStatus = "Running"'
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "  ",
        "HitlTier >= 0) OR (HitlTier >= 0",
        "(HitlTier >= 0",
        'HitlAssignees = "a',
        "HitlTier > 0 order  by HitlDeadline",
    ],
)
def test_reviewer_queries_that_could_escape_the_restriction_are_refused(query: str) -> None:
    with pytest.raises(ValueError):
        waiting_and(query)


def test_parentheses_inside_quotes_do_not_count() -> None:
    assert waiting_and('WorkflowId = "a)b"').startswith('(WorkflowId = "a)b") AND ')


def test_priority_is_risk_weight_times_one_plus_half_the_uncertainty_times_quorum() -> None:
    assert [
        priority("low_risk_write", 0.9),
        priority("high_risk_write", 0.6),
        priority("irreversible", None),
        priority("high_risk_write", 1.0, quorum=2),
    ] == [2.1, 4.8, 12.0, 8.0]


def test_an_irreversible_or_quorum_action_ranks_above_any_low_risk_one() -> None:
    # An account deletion the agent is sure of used to score 0.00 and sort last.
    sure_deletion = priority("irreversible", 1.0)
    two_person_rule = priority("high_risk_write", 1.0, quorum=2)
    unsure_low_risk = priority("low_risk_write", 0.0)
    assert sure_deletion > unsure_low_risk
    assert priority("high_risk_write", 1.0) > unsure_low_risk
    assert two_person_rule > priority("high_risk_write", 1.0)


def entry(name: str, due_in: float | None, prio: float) -> InboxEntry:
    return InboxEntry(
        workflow_id=name,
        request_id="approval-1",
        kind="approval",
        summary="",
        tool="issue_refund",
        risk_tier="high_risk_write",
        tier=0,
        deadline=None if due_in is None else NOW + timedelta(hours=due_in),
        priority=prio,
    )


def test_order_by_deadline_then_priority_and_by_priority_then_deadline() -> None:
    entries = [
        entry("hold", None, 3.0),
        entry("late", 2, 0.1),
        entry("soon", 1, 0.2),
        entry("soon-risky", 1, 1.5),
    ]
    assert [e.workflow_id for e in order(entries)] == ["soon-risky", "soon", "late", "hold"]
    assert [e.workflow_id for e in order(entries, "priority")] == ["hold", "soon-risky", "soon", "late"]
