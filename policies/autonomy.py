"""Progressive autonomy: the five stages, the graduation thresholds (`[autonomy]` in a policy
file) and the pure rule that moves a stage from a track record.

| stage | name | what it does to the policy's verdict |
|---|---|---|
| 1 | supervised | every write stops at a human gate before it runs |
| 2 | reviewed | what the policy lets run alone runs, and every such write is reviewed afterwards |
| 3 | policy | the policy as written (the default for a task kind and action type without a record) |
| 4 | trusted | soft triggers (confidence, customer tier, sentiment, novelty) at most flag for review |
| 5 | policies only | only the hard rules gate (tier, amount, conflict, ambiguity); no soft triggers, no sampling |

Hard rules hold at every stage: autonomy never lets an irreversible action, an amount above its
threshold, a policy conflict or an ambiguous request through on its own.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from hitl.contracts.base import Contract

MIN_STAGE = 1
MAX_STAGE = 5
POLICY_STAGE = 3

STAGE_NAMES: dict[int, str] = {
    1: "supervised",
    2: "reviewed",
    3: "policy",
    4: "trusted",
    5: "policies only",
}


class AutonomyRules(Contract):
    """When a task kind and action type earn or lose autonomy (`[autonomy]`)."""

    enabled: bool = False
    """Whether stages are computed and applied; off, every task decides at `initial_stage`."""
    initial_stage: int = Field(default=POLICY_STAGE, ge=MIN_STAGE, le=MAX_STAGE)
    """Stage of a task kind and action type with no ledger entry yet."""
    max_stage: int = Field(default=MAX_STAGE, ge=MIN_STAGE, le=MAX_STAGE)
    """Promotion never goes above this."""
    promote_min_decisions: int = Field(default=20, ge=1)
    """Human decisions needed since the last stage change before a promotion."""
    promote_approval_rate: float = Field(default=0.95, ge=0.0, le=1.0)
    """Share approved without change, over those decisions, at or above which the stage rises."""
    demote_on_revert: bool = True
    """A reverted action demotes at once."""
    demote_rejection_streak: int = Field(default=3, ge=1)
    """This many rejections in a row demote at once."""
    accuracy_window: int = Field(default=10, ge=1)
    """The last this-many decisions are checked for an accuracy drop."""
    demote_accuracy_below: float = Field(default=0.7, ge=0.0, le=1.0)
    """Share approved without change, over the accuracy window, below which the stage drops."""

    @model_validator(mode="after")
    def _consistent(self) -> "AutonomyRules":
        if self.initial_stage > self.max_stage:
            raise ValueError(f"initial_stage ({self.initial_stage}) is above max_stage ({self.max_stage})")
        return self


class TrackKind(StrEnum):
    """What a track-record entry is."""

    DECISION = "decision"
    """A human decision on an approval request."""
    REVERT = "revert"
    """An executed action a human reverted."""


class TrackEntry(Contract):
    """One entry of a task kind and action type's track record."""

    at: datetime
    kind: TrackKind
    outcome: str = ""
    """For decisions: `approve` (unchanged), `modify`, `reject`, `request_changes`."""
    ref: str = ""
    """Where it comes from (feedback key or audit event key), kept as evidence."""


class StageChange(Contract):
    """A stage change the track record calls for, with its evidence."""

    from_stage: int
    to_stage: int
    rule: str
    """`promote.approval_rate`, `demote.revert`, `demote.rejection_streak` or `demote.accuracy_drop`."""
    evidence: dict[str, Any] = Field(default_factory=dict)


def approved_share(decisions: list[TrackEntry]) -> float:
    """Share of decisions approved without change (0 for no decisions)."""
    if not decisions:
        return 0.0
    return sum(d.outcome == "approve" for d in decisions) / len(decisions)


def assess(stage: int, record: list[TrackEntry], rules: AutonomyRules) -> StageChange | None:
    """Decide whether the record since the last stage change moves the stage.

    Args:
        stage: The current stage.
        record: Entries since the last stage change, oldest first.
        rules: The policy's graduation thresholds.

    Returns:
        The change (one stage down or up), or None when the stage stays.
    """
    decisions = [e for e in record if e.kind is TrackKind.DECISION]
    reverts = [e for e in record if e.kind is TrackKind.REVERT]
    down = max(stage - 1, MIN_STAGE)
    if rules.demote_on_revert and reverts and stage > MIN_STAGE:
        return StageChange(
            from_stage=stage,
            to_stage=down,
            rule="demote.revert",
            evidence={"reverts": [e.ref for e in reverts]},
        )
    streak = decisions[-rules.demote_rejection_streak :]
    if (
        stage > MIN_STAGE
        and len(streak) == rules.demote_rejection_streak
        and all(d.outcome == "reject" for d in streak)
    ):
        return StageChange(
            from_stage=stage,
            to_stage=down,
            rule="demote.rejection_streak",
            evidence={"rejections": [d.ref for d in streak]},
        )
    recent = decisions[-rules.accuracy_window :]
    if stage > MIN_STAGE and len(recent) == rules.accuracy_window:
        share = approved_share(recent)
        if share < rules.demote_accuracy_below:
            return StageChange(
                from_stage=stage,
                to_stage=down,
                rule="demote.accuracy_drop",
                evidence={
                    "approved_share": round(share, 4),
                    "threshold": rules.demote_accuracy_below,
                    "decisions": len(recent),
                },
            )
    share = approved_share(decisions)
    if (
        stage < rules.max_stage
        and len(decisions) >= rules.promote_min_decisions
        and share >= rules.promote_approval_rate
    ):
        return StageChange(
            from_stage=stage,
            to_stage=stage + 1,
            rule="promote.approval_rate",
            evidence={
                "approved_share": round(share, 4),
                "threshold": rules.promote_approval_rate,
                "decisions": len(decisions),
            },
        )
    return None
