"""`hitl report --html FILE`: one self-contained page (inline CSS and SVG, no scripts, no links out)."""

from html import escape

from hitl.contracts.report import CalibrationRow, KpiReport
from hitl.reporting import svg
from hitl.reporting.text import kpi_cells, rate

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.muted { color: #666; } .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .7rem 1rem; min-width: 9rem; }
.card .value { font-size: 1.6rem; font-weight: 600; } .card .name { color: #666; font-size: .85rem; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { padding: .3rem .6rem; border-bottom: 1px solid #eee; }
th { text-align: left; background: #fafafa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1.5rem; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { width: 100%; height: auto; } .axis { stroke: #444; } .grid { stroke: #eee; }
.tick, .label { font-size: 11px; fill: #555; } .diagonal { stroke: #999; stroke-dasharray: 4 4; }
.curve { fill: none; stroke: #1565c0; stroke-width: 2; } .point { fill: #1565c0; fill-opacity: .8; }
.bar { fill: #1565c0; } .recs li { margin: .3rem 0; } .wide { overflow-x: auto; }
"""


def _cards(report: KpiReport) -> str:
    decided = sum(g.decisions for g in report.groups)
    unchanged = sum(round((g.approve_rate or 0) * g.decisions) for g in report.groups)
    cards = [
        ("decisions", str(decided)),
        ("approved unchanged", rate(unchanged / decided if decided else None)),
        ("verified decisions", str(sum(g.verified_decisions for g in report.groups))),
        ("SLA breaches", str(sum(g.sla_breaches for g in report.groups))),
        ("escalations", str(sum(g.escalations for g in report.groups))),
        ("reverts", str(sum(g.reverts for g in report.groups))),
        ("waiting now", str(sum(g.queue_depth for g in report.groups))),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card" data-card="{escape(name)}"><div class="value">{escape(value)}</div>'
            f'<div class="name">{escape(name)}</div></div>'
            for name, value in cards
        )
        + "</div>"
    )


def _kpi_table(report: KpiReport) -> str:
    head = [
        "task kind",
        "action",
        "proposed",
        "intervention",
        "decided",
        "approve",
        "modify",
        "reject",
        "request changes",
        "p50",
        "p90",
        "SLA breaches",
        "escalations",
        "reverts",
        "queue",
    ]
    rows = []
    for g in report.groups:
        cells = kpi_cells(g)
        rows.append(
            f'<tr data-group="{escape(g.task_kind)}/{escape(g.action_type)}"><td>{escape(g.task_kind)}</td>'
            f"<td>{escape(g.action_type)}</td>"
            + "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
            + "</tr>"
        )
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f'<div class="wide"><table id="kpis"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _calibration_table(name: str, rows: list[CalibrationRow]) -> str:
    body = "".join(
        f"<tr><td>{r.low:.1f} to {r.high:.1f}</td><td class=num>{r.decisions}</td>"
        f"<td class=num>{r.approved_unchanged}</td><td class=num>{rate(r.share)}</td></tr>"
        for r in rows
    )
    return (
        f'<table class="calibration" data-group="{escape(name)}"><caption>{escape(name)}</caption>'
        "<thead><tr><th>confidence</th><th>decisions</th><th>approved unchanged</th><th>share</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def render_html(report: KpiReport) -> str:
    """The report as one HTML page."""
    since = report.since.strftime("%Y-%m-%d %H:%M") if report.since else "the beginning"
    overall = report.calibration.get("all") or next(iter(report.calibration.values()), [])
    recs = "".join(f"<li>{escape(r.text)}</li>" for r in report.recommendations) or (
        "<li>None: not enough decisions yet, or nothing to change.</li>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>HITL KPI report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>Human-in-the-loop KPI report</h1>
<p class="muted">Generated {report.generated_at:%Y-%m-%d %H:%M} UTC from decisions since {escape(since)}.</p>
{_cards(report)}
<h2>Recommendations</h2>
<ul class="recs" id="recommendations">{recs}</ul>
<h2>Charts</h2>
<div class="charts">
<figure><figcaption>Calibration curve</figcaption>{svg.calibration_curve(overall)}</figure>
<figure><figcaption>Time to decision</figcaption>{svg.latency_histogram(report.latency)}</figure>
<figure><figcaption>Outcomes over time</figcaption>{svg.rates_over_time(report.rates)}</figure>
</div>
<h2>Per task kind and action type</h2>
{_kpi_table(report)}
<p class="muted">Intervention: share of evaluated actions that stopped for a human before running.
Approve / modify / reject / request changes: shares of human decisions on approval requests.
p50 / p90: time to decision. SLA breaches: approval requests whose escalation ladder ran out.</p>
<h2>Calibration</h2>
{"".join(_calibration_table(name, rows) for name, rows in report.calibration.items())}
</body></html>
"""
