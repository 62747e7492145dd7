"""Confidence calibration (`[calibration]` in a policy file): the agent's confidence counts only
as far as its track record supports it.

The calibration table is the KPI report's: per confidence bucket, the share of the agent's
proposals that humans approved unchanged (`hitl report`). A task loads the table of each action
type when it starts and pins it in history with the policy. The confidence bands then apply to
`min(claimed, calibrated)`: a record can lower a claim, never raise it. With fewer than
`min_decisions` human decisions for an action type, or fewer than `min_bucket_decisions` in the
claimed confidence's bucket, the confidence is uncalibrated: it cannot take a high-risk write
out of the gate (rule `confidence.uncalibrated`).
"""

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.report import CalibrationRow

BUCKETS = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)]
"""Confidence buckets: [low, high), the last one closed."""


class CalibrationRules(Contract):
    """How much track record the agent's confidence needs (`[calibration]`)."""

    min_decisions: int = Field(default=20, ge=0)
    """Human decisions on an action type before its confidence is calibrated at all; 0 trusts the
    agent's confidence as it is claimed."""
    min_bucket_decisions: int = Field(default=5, ge=1)
    """Human decisions in the claimed confidence's bucket before that bucket's share counts."""


class Calibration(Contract):
    """The calibration table of one action type, as pinned in a task's history."""

    action_type: str
    decisions: int = 0
    """Human decisions on approval requests of this action type (all buckets)."""
    buckets: list[CalibrationRow] = Field(default_factory=list)


def calibration(decisions: list[tuple[float, bool]]) -> list[CalibrationRow]:
    """Buckets of confidence vs the share approved unchanged.

    Args:
        decisions: `(confidence, approved unchanged)` of each human decision on an approval request.
    """
    out = []
    for i, (low, high) in enumerate(BUCKETS):
        last = i == len(BUCKETS) - 1
        inside = [ok for c, ok in decisions if low <= c < high or (last and c == high)]
        unchanged = sum(inside)
        out.append(
            CalibrationRow(
                low=low,
                high=high,
                decisions=len(inside),
                approved_unchanged=unchanged,
                share=unchanged / len(inside) if inside else None,
            )
        )
    return out


def calibrated(rules: CalibrationRules, table: Calibration | None, confidence: float) -> float | None:
    """The confidence the bands apply to: `min(claimed, bucket share)`; the claim itself when
    calibration is off (`min_decisions = 0`); None when there is too little record to tell."""
    if rules.min_decisions == 0:
        return confidence
    if table is None or table.decisions < rules.min_decisions:
        return None
    for i, row in enumerate(table.buckets):
        last = i == len(table.buckets) - 1
        if row.low <= confidence < row.high or (last and confidence == row.high):
            if row.decisions < rules.min_bucket_decisions or row.share is None:
                return None
            return min(confidence, row.share)
    return None
