"""Inline SVG charts for the HTML report: no scripts, no external files, readable without JavaScript.

Every mark carries a `<title>` (a tooltip in browsers) and `data-*` attributes with its figures.
"""

from html import escape

from hitl.contracts.report import CalibrationRow, LatencyBin, RatesPoint

W, H = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PLOT_W, PLOT_H = W - LEFT - RIGHT, H - TOP - BOTTOM
COLORS = {"approve": "#2e7d32", "modify": "#f9a825", "reject": "#c62828", "other": "#6d6d9c"}


def _x(fraction: float) -> float:
    return LEFT + fraction * PLOT_W


def _y(fraction: float) -> float:
    return TOP + (1 - fraction) * PLOT_H


def _frame(chart_id: str, label: str, body: list[str], x_label: str, y_label: str) -> str:
    axes = [
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" class="axis"/>',
        f'<text x="{LEFT + PLOT_W / 2}" y="{H - 6}" text-anchor="middle" class="label">{escape(x_label)}</text>',
        f'<text x="14" y="{TOP + PLOT_H / 2}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 14 {TOP + PLOT_H / 2})">{escape(y_label)}</text>',
    ]
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(axes)}{''.join(body)}</svg>"
    )


def _y_ticks(top: float, fmt: str = "{:.0%}") -> list[str]:
    ticks = []
    for i in range(5):
        f = i / 4
        ticks.append(
            f'<line x1="{LEFT}" y1="{_y(f):.1f}" x2="{LEFT + PLOT_W}" y2="{_y(f):.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{_y(f) + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(fmt.format(top * f))}</text>"
        )
    return ticks


def calibration_curve(rows: list[CalibrationRow]) -> str:
    """Share approved unchanged per confidence bucket, against the diagonal of perfect calibration."""
    body = _y_ticks(1.0)
    for f in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(
            f'<text x="{_x(f):.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle" class="tick">{f:g}</text>'
        )
    body.append(
        f'<line x1="{_x(0):.1f}" y1="{_y(0):.1f}" x2="{_x(1):.1f}" y2="{_y(1):.1f}" class="diagonal"/>'
    )
    points = [(r, (r.low + r.high) / 2) for r in rows if r.share is not None]
    if points:
        path = " ".join(f"{_x(mid):.1f},{_y(r.share or 0.0):.1f}" for r, mid in points)
        body.append(f'<polyline points="{path}" class="curve"/>')
    most = max((r.decisions for r, _ in points), default=1)
    for r, mid in points:
        radius = 3 + 7 * (r.decisions / most) ** 0.5
        tip = f"confidence {r.low:g}-{r.high:g}: {r.approved_unchanged} of {r.decisions} approved unchanged"
        body.append(
            f'<circle cx="{_x(mid):.1f}" cy="{_y(r.share or 0.0):.1f}" r="{radius:.1f}" class="point" '
            f'data-low="{r.low:g}" data-decisions="{r.decisions}" data-share="{r.share:.4f}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return _frame(
        "calibration-curve",
        "Calibration: agent confidence vs share approved unchanged",
        body,
        "agent confidence",
        "approved unchanged",
    )


def latency_histogram(bins: list[LatencyBin]) -> str:
    """Human decisions per time-to-decision bin."""
    most = max((b.count for b in bins), default=0)
    top = max(4, -(-most // 4) * 4)  # a multiple of 4: the five grid lines get whole numbers
    body = _y_ticks(top, "{:.0f}")
    slot = PLOT_W / max(len(bins), 1)
    for i, b in enumerate(bins):
        height = PLOT_H * b.count / top
        x = LEFT + i * slot + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + PLOT_H - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'class="bar" data-label="{escape(b.label)}" data-count="{b.count}">'
            f"<title>{escape(b.label)}: {b.count} decisions</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle" class="tick">'
            f"{escape(b.label)}</text>"
        )
    return _frame(
        "latency-histogram", "Time to decision (human decisions)", body, "time to decision", "decisions"
    )


def rates_over_time(points: list[RatesPoint]) -> str:
    """Per day, how human decisions went: stacked shares of approve, modify, reject, other."""
    body = _y_ticks(1.0)
    slot = PLOT_W / max(len(points), 1)
    label_every = max(1, len(points) // 8)
    for i, p in enumerate(points):
        x = LEFT + i * slot + slot * 0.1
        base = 0.0
        for outcome in ("approve", "modify", "reject", "other"):
            n = getattr(p, outcome)
            if not n:
                continue
            part = n / p.decisions
            body.append(
                f'<rect x="{x:.1f}" y="{_y(base + part):.1f}" width="{slot * 0.8:.1f}" '
                f'height="{PLOT_H * part:.1f}" fill="{COLORS[outcome]}" class="segment" '
                f'data-day="{p.day}" data-outcome="{outcome}" data-count="{n}">'
                f"<title>{p.day}: {n} of {p.decisions} {outcome}</title></rect>"
            )
            base += part
        if i % label_every == 0:
            body.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle" class="tick">'
                f"{p.day[5:]}</text>"
            )
    legend_x = LEFT
    for outcome, color in COLORS.items():
        body.append(
            f'<rect x="{legend_x}" y="{H - 22}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{H - 13}" class="tick">{outcome}</text>'
        )
        legend_x += 80
    return _frame("rates-over-time", "Decision outcomes per day", body, "", "share of decisions")
