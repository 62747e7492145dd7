"""`hitl report` as plain text: KPI table per group, calibration tables, recommendations."""

from hitl.contracts.report import CalibrationRow, GroupKpis, KpiReport


def rate(value: float | None) -> str:
    """A share as a percentage with one decimal, `-` when undefined."""
    return "-" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    """Seconds as the largest sensible unit: 45s, 12.5m, 3.2h, 1.5d."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


COLUMNS: list[tuple[str, int]] = [
    ("task kind / action", 34),
    ("proposed", 9),
    ("interv.", 8),
    ("decided", 8),
    ("approve", 8),
    ("modify", 8),
    ("reject", 8),
    ("req.chg", 8),
    ("p50", 7),
    ("p90", 7),
    ("SLA br.", 8),
    ("escal.", 7),
    ("reverts", 8),
    ("queue", 6),
]


def _row(g: GroupKpis) -> list[str]:
    return [f"{g.task_kind} / {g.action_type}", *kpi_cells(g)]


def kpi_cells(g: GroupKpis) -> list[str]:
    """A group's figures as the text and HTML tables show them, in column order."""
    return [
        str(g.proposed),
        rate(g.intervention_rate),
        str(g.decisions),
        rate(g.approve_rate),
        rate(g.modify_rate),
        rate(g.reject_rate),
        rate(g.request_changes_rate),
        duration(g.p50_seconds),
        duration(g.p90_seconds),
        str(g.sla_breaches),
        str(g.escalations),
        str(g.reverts),
        str(g.queue_depth),
    ]


def _line(cells: list[str]) -> str:
    return "  ".join(
        cell.ljust(width) if i == 0 else cell.rjust(width)
        for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    ).rstrip()


def _calibration(name: str, rows: list[CalibrationRow]) -> list[str]:
    lines = [f"Calibration ({name}): agent confidence vs approved unchanged"]
    lines.append(f"  {'confidence':<12}{'decisions':>10}{'unchanged':>11}{'share':>8}")
    for r in rows:
        bracket = "]" if r.high == 1.0 else ")"
        label = f"[{r.low:.1f}, {r.high:.1f}{bracket}"
        lines.append(f"  {label:<12}{r.decisions:>10}{r.approved_unchanged:>11}{rate(r.share):>8}")
    return lines


def render_text(report: KpiReport) -> str:
    """The report as text for a terminal."""
    since = report.since.isoformat() if report.since else "the beginning"
    out = [f"HITL KPI report, {report.generated_at:%Y-%m-%d %H:%M} UTC, decisions since {since}", ""]
    if not report.groups:
        return "\n".join([*out, "No tasks recorded yet."])
    out.append(_line([name for name, _ in COLUMNS]))
    out += [_line(_row(g)) for g in report.groups]
    out += [
        "",
        "interv. = actions stopped for a human before running; rates are shares of human decisions on",
        "approval requests; p50/p90 = time to decision; SLA br. = approval ladders that ran out.",
        _verified_line(report),
    ]
    for name, rows in report.calibration.items():
        out += ["", *_calibration(name, rows)]
    out += ["", "Recommendations:"]
    out += [f"  - {r.text}" for r in report.recommendations] or [
        "  none: not enough decisions, or nothing to change"
    ]
    return "\n".join(out)


def _verified_line(report: KpiReport) -> str:
    decided = sum(g.decisions for g in report.groups)
    verified = sum(g.verified_decisions for g in report.groups)
    return (
        f"Verified decisions: {verified} of {decided} (the rest were asserted: no proof; docs/identity.md)."
    )
