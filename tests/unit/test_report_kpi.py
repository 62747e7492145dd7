"""KPI arithmetic and recommendation rules, without a database."""

from datetime import UTC, datetime

import pytest

from hitl.contracts.report import DecisionRow, EventCount, ReportData
from hitl.reporting.kpi import build_report, percentile
from hitl.reporting.recommend import MIN_DECISIONS, recommend

AT = datetime(2026, 4, 6, tzinfo=UTC)


def row(outcome: str = "approve", **fields: object) -> DecisionRow:
    base: dict[str, object] = {
        "task_kind": "refund",
        "action_type": "issue_refund",
        "request_kind": "approval",
        "outcome": outcome,
        "by_fallback": False,
        "confidence": 0.8,
        "seconds_to_decision": 60.0,
        "decided_at": AT,
    }
    return DecisionRow.model_validate(base | fields)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 90) == pytest.approx(37.0)


def test_no_recommendation_below_the_minimum_number_of_decisions() -> None:
    rows = [row(amount=float(a), confidence=0.5) for a in range(MIN_DECISIONS - 1)]
    assert recommend(("refund", "issue_refund"), rows, {}) == []
    rows.append(row(amount=500.0, confidence=0.5))
    [rec] = recommend(("refund", "issue_refund"), rows, {})
    assert (rec.kind, rec.text) == (
        "raise_amount_threshold",
        f"100% of issue_refund requests (refund) with amount up to 500 were approved unchanged over "
        f"{MIN_DECISIONS} decisions: consider raising the approval threshold to 500",
    )


def test_the_threshold_never_splits_equal_amounts() -> None:
    # 29 approvals below 100, then two decisions at exactly 100 of which one was rejected: the
    # prefix "up to 100" has 31 decisions, 30 unchanged (96.7%), and stops there.
    rows = [row(amount=float(a)) for a in range(29)] + [row(amount=100.0), row("reject", amount=100.0)]
    rows += [row("reject", amount=200.0), row("modify", amount=300.0)]
    [rec] = recommend(("refund", "issue_refund"), rows, {})
    assert rec.text.startswith(
        "96% of issue_refund requests (refund) with amount up to 100 were approved unchanged over 31"
    )


def test_overconfidence_tightening_and_sla_breaches_are_flagged() -> None:
    rows = [
        row("approve" if i < 12 else "reject", confidence=0.95, reason_code=None if i < 12 else "fraud_risk")
        for i in range(40)
    ]
    rows += [row("reject", by_fallback=True, reason_code="sla_fallback") for _ in range(10)]
    rows += [
        row("approve", request_kind="post_review", by_fallback=True, reason_code="window_closed")
        for _ in range(50)
    ]
    kinds = [r.kind for r in recommend(("refund", "issue_refund"), rows, {})]
    assert kinds == ["overconfident", "tighten", "sla"]


def test_sla_breaches_count_approval_ladders_not_closed_review_windows() -> None:
    data = ReportData(
        generated_at=AT,
        decisions=[
            row("reject", by_fallback=True, reason_code="sla_fallback"),
            row("approve", request_kind="post_review", by_fallback=True, reason_code="window_closed"),
            row("approve", seconds_to_decision=30.0),
        ],
        counts=[
            EventCount(task_kind="refund", action_type="issue_refund", what="approve", n=2),
            EventCount(task_kind="refund", action_type="issue_refund", what="auto_then_review", n=1),
            EventCount(task_kind="refund", action_type="issue_refund", what="auto", n=1),
        ],
    )
    [group] = build_report(data).groups
    assert (group.sla_breaches, group.decisions, group.approve_rate) == (1, 1, 1.0)
    assert (group.proposed, group.gated, group.intervention_rate) == (4, 2, 0.5)
    assert (group.p50_seconds, group.p90_seconds) == (30.0, 30.0)


def test_confidence_one_falls_in_the_top_bucket() -> None:
    report = build_report(ReportData(generated_at=AT, decisions=[row(confidence=1.0), row(confidence=0.0)]))
    buckets = report.calibration["refund/issue_refund"]
    assert [(b.low, b.decisions) for b in buckets if b.decisions] == [(0.0, 1), (0.9, 1)]
