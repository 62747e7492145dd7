"""Threshold recommendations: what the decisions suggest changing in the policy, with the numbers.

Each rule needs `MIN_DECISIONS` human decisions before it speaks, so a handful of approvals never
loosens a policy. Recommendations are advice for the policy owner; nothing changes on its own.
"""

import math
from collections import Counter
from collections.abc import Mapping

from hitl.contracts.report import DecisionRow, Recommendation

MIN_DECISIONS = 30
"""Fewer decisions than this say too little to change a threshold."""
UNCHANGED_TARGET = 0.95
"""Share approved unchanged above which reviewing adds little."""
OVERCONFIDENT_BELOW = 0.7
"""High-confidence proposals approved unchanged less often than this: confidence is not to be trusted."""
TIGHTEN_BELOW = 0.5
SLA_BREACH_ABOVE = 0.1
HIGH_CONFIDENCE = 0.9
CONFIDENCE_STEPS = (0.7, 0.8, 0.9)


def pct(value: float) -> str:
    """A share as a whole percentage, rounded down so that 94.9 % never reads as 95 %."""
    return f"{math.floor(value * 100)}%"


def _unchanged(rows: list[DecisionRow]) -> int:
    return sum(r.outcome == "approve" for r in rows)


def recommend(
    group: tuple[str, str], rows: list[DecisionRow], counts: Mapping[str, int]
) -> list[Recommendation]:
    """Recommendations for one (task kind, action type) from its settled requests."""
    kind, action = group
    humans = [r for r in rows if r.request_kind == "approval" and not r.by_fallback]

    def rec(code: str, text: str) -> Recommendation:
        return Recommendation(task_kind=kind, action_type=action, kind=code, text=text)

    out: list[Recommendation] = []
    amount = _amount_threshold(humans)
    if amount is not None:
        limit, n, unchanged = amount
        out.append(
            rec(
                "raise_amount_threshold",
                f"{pct(unchanged / n)} of {action} requests ({kind}) with amount up to {limit:g} were "
                f"approved unchanged over {n} decisions: consider raising the approval threshold to {limit:g}",
            )
        )
    confident = _confidence_threshold(humans)
    if confident is not None:
        low, n, unchanged = confident
        out.append(
            rec(
                "auto_by_confidence",
                f"{pct(unchanged / n)} of {action} proposals ({kind}) with confidence {low:g} or more were "
                f"approved unchanged over {n} decisions: consider letting them run with a post-hoc review",
            )
        )
    high = [r for r in humans if r.confidence >= HIGH_CONFIDENCE]
    if len(high) >= MIN_DECISIONS and _unchanged(high) / len(high) < OVERCONFIDENT_BELOW:
        out.append(
            rec(
                "overconfident",
                f"only {pct(_unchanged(high) / len(high))} of {action} proposals ({kind}) with confidence "
                f"{HIGH_CONFIDENCE:g} or more were approved unchanged over {len(high)} decisions: the agent "
                "is overconfident; do not let confidence skip review",
            )
        )
    if len(humans) >= MIN_DECISIONS and _unchanged(humans) / len(humans) < TIGHTEN_BELOW:
        reasons = Counter(r.reason_code or "none" for r in humans if r.outcome != "approve").most_common(3)
        top = ", ".join(f"{code} ({n})" for code, n in reasons)
        out.append(
            rec(
                "tighten",
                f"only {pct(_unchanged(humans) / len(humans))} of {action} requests ({kind}) were approved "
                f"unchanged over {len(humans)} decisions (most frequent reasons: {top}): keep the gate and "
                "fix the agent's prompt or tools for these",
            )
        )
    approvals = [r for r in rows if r.request_kind == "approval"]
    breaches = sum(r.reason_code == "sla_fallback" for r in approvals)
    if len(approvals) >= MIN_DECISIONS and breaches / len(approvals) > SLA_BREACH_ABOVE:
        out.append(
            rec(
                "sla",
                f"{pct(breaches / len(approvals))} of {action} approval requests ({kind}) ran out their "
                f"escalation ladder ({breaches} of {len(approvals)}): add reviewers to the first tier or "
                "lengthen its SLA",
            )
        )
    return out


def _amount_threshold(rows: list[DecisionRow]) -> tuple[float, int, int] | None:
    """The largest amount A such that decisions with amount <= A are MIN_DECISIONS or more and
    approved unchanged at least UNCHANGED_TARGET of the time: (A, decisions, unchanged)."""
    priced = sorted((r for r in rows if r.amount is not None), key=lambda r: r.amount or 0.0)
    best = None
    unchanged = 0
    for n, r in enumerate(priced, start=1):
        unchanged += r.outcome == "approve"
        last_of_amount = n == len(priced) or priced[n].amount != r.amount
        if last_of_amount and n >= MIN_DECISIONS and unchanged / n >= UNCHANGED_TARGET:
            best = (r.amount or 0.0, n, unchanged)
    return best


def _confidence_threshold(rows: list[DecisionRow]) -> tuple[float, int, int] | None:
    """The lowest step c such that decisions with confidence >= c qualify: (c, decisions, unchanged)."""
    for low in CONFIDENCE_STEPS:
        above = [r for r in rows if r.confidence >= low]
        if len(above) >= MIN_DECISIONS and _unchanged(above) / len(above) >= UNCHANGED_TARGET:
            return low, len(above), _unchanged(above)
    return None
