"""Compute the KPI report from the stored rows: pure functions, no I/O.

Definitions (docs/audit.md repeats them):
- intervention rate: share of evaluated actions that stopped for a human before running
  (verdict mode `approve` or `clarify`);
- approve / modify / reject / request-changes rates: shares of human decisions on approval requests;
- time to decision: from the request opening to the settling human decision (p50, p90);
- SLA breaches: approval requests whose escalation ladder ran out (`sla_fallback`); a post-hoc
  review window closing (`window_closed`) is not one;
- approved unchanged: outcome `approve` by a human on an approval request.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from hitl.contracts.report import (
    CalibrationRow,
    DecisionRow,
    GroupKpis,
    KpiReport,
    LatencyBin,
    RatesPoint,
    ReportData,
)
from hitl.reporting.recommend import recommend
from policies.calibration import calibration as pinned_calibration

GATED_MODES = ("approve", "clarify")
LATENCY_BINS = [
    ("< 1 min", 0.0, 60.0),
    ("1-5 min", 60.0, 300.0),
    ("5-15 min", 300.0, 900.0),
    ("15-60 min", 900.0, 3600.0),
    ("1-4 h", 3600.0, 14400.0),
    ("4-12 h", 14400.0, 43200.0),
    ("12-24 h", 43200.0, 86400.0),
    ("> 24 h", 86400.0, None),
]

Group = tuple[str, str]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def human_approvals(rows: Iterable[DecisionRow]) -> list[DecisionRow]:
    """Approval requests a human settled (no timeout fallback)."""
    return [r for r in rows if r.request_kind == "approval" and not r.by_fallback]


def calibration(rows: list[DecisionRow]) -> list[CalibrationRow]:
    """Buckets of agent confidence vs the share approved unchanged, over human approval decisions
    (the same table a task pins to calibrate confidence: `policies.calibration`)."""
    return pinned_calibration([(r.confidence, r.outcome == "approve") for r in rows])


def latency_bins(rows: list[DecisionRow]) -> list[LatencyBin]:
    """Histogram of time to decision."""
    return [
        LatencyBin(
            label=label,
            low=low,
            high=high,
            count=sum(
                low <= r.seconds_to_decision and (high is None or r.seconds_to_decision < high) for r in rows
            ),
        )
        for label, low, high in LATENCY_BINS
    ]


def rates_by_day(rows: list[DecisionRow]) -> list[RatesPoint]:
    """Human approval decisions per UTC day and how they went."""
    days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        bucket = r.outcome if r.outcome in ("approve", "modify", "reject") else "other"
        days[r.decided_at.date().isoformat()][bucket] += 1
    return [
        RatesPoint(
            day=day,
            decisions=sum(c.values()),
            approve=c["approve"],
            modify=c["modify"],
            reject=c["reject"],
            other=c["other"],
        )
        for day, c in sorted(days.items())
    ]


def group_kpis(group: Group, rows: list[DecisionRow], counts: dict[str, int]) -> GroupKpis:
    """The KPIs of one group from its decisions and its event counts."""
    humans = human_approvals(rows)
    by_outcome: dict[str, int] = defaultdict(int)
    for r in humans:
        by_outcome[r.outcome] += 1
    latencies = [r.seconds_to_decision for r in humans]
    proposed = sum(n for what, n in counts.items() if what in _MODES)
    gated = sum(counts.get(m, 0) for m in GATED_MODES)
    return GroupKpis(
        task_kind=group[0],
        action_type=group[1],
        proposed=proposed,
        gated=gated,
        intervention_rate=share(gated, proposed),
        decisions=len(humans),
        approve_rate=share(by_outcome["approve"], len(humans)),
        modify_rate=share(by_outcome["modify"], len(humans)),
        reject_rate=share(by_outcome["reject"], len(humans)),
        request_changes_rate=share(by_outcome["request_changes"], len(humans)),
        verified_decisions=sum(r.verified for r in humans),
        p50_seconds=percentile(latencies, 50),
        p90_seconds=percentile(latencies, 90),
        sla_breaches=sum(r.request_kind == "approval" and r.reason_code == "sla_fallback" for r in rows),
        escalations=counts.get("escalated", 0),
        reverts=counts.get("reverted", 0),
        queue_depth=sum(n for what, n in counts.items() if what.startswith("open_")),
    )


_MODES = ("auto", "auto_then_review", "approve", "clarify", "block")


def build_report(data: ReportData, *, now: datetime | None = None) -> KpiReport:
    """The whole report: groups, calibration, latency histogram, rates over time, recommendations."""
    rows: dict[Group, list[DecisionRow]] = defaultdict(list)
    for d in data.decisions:
        rows[(d.task_kind, d.action_type)].append(d)
    counts: dict[Group, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in data.counts:
        counts[(c.task_kind, c.action_type)][c.what] += c.n
    groups = sorted(set(rows) | set(counts))
    kpis = [group_kpis(g, rows.get(g, []), counts.get(g, {})) for g in groups]
    humans = human_approvals(data.decisions)
    cal = {
        f"{g[0]}/{g[1]}": calibration(human_approvals(rows[g]))
        for g in groups
        if human_approvals(rows.get(g, []))
    }
    if len(cal) != 1:
        cal["all"] = calibration(humans)
    return KpiReport(
        generated_at=now or data.generated_at,
        since=data.since,
        groups=kpis,
        calibration=cal,
        latency=latency_bins(humans),
        rates=rates_by_day(humans),
        recommendations=[rec for g in groups for rec in recommend(g, rows.get(g, []), counts.get(g, {}))],
    )
