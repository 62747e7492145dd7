"""The policy's verdict on a proposed action."""

from enum import StrEnum

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.facts import Facts


class Mode(StrEnum):
    """How an action proceeds."""

    AUTO = "auto"
    """Execute and log."""
    AUTO_THEN_REVIEW = "auto_then_review"
    """Execute, then open a sampled post-hoc review that may revert it."""
    APPROVE = "approve"
    """Stop at a human gate before executing."""
    CLARIFY = "clarify"
    """Ask the human a question; the agent continues with the answer."""
    BLOCK = "block"
    """Never execute."""


MODE_ORDER: dict[Mode, int] = {
    Mode.AUTO: 0,
    Mode.AUTO_THEN_REVIEW: 1,
    Mode.APPROVE: 2,
    Mode.CLARIFY: 3,
    Mode.BLOCK: 4,
}
"""Strictness order of the modes: when several rules fire, the strictest mode wins."""


class RiskTier(StrEnum):
    """Action tiers, from harmless to irreversible."""

    READ_ONLY = "read_only"
    LOW = "low_risk_write"
    HIGH = "high_risk_write"
    IRREVERSIBLE = "irreversible"


RISK_ORDER: dict[RiskTier, int] = {
    RiskTier.READ_ONLY: 0,
    RiskTier.LOW: 1,
    RiskTier.HIGH: 2,
    RiskTier.IRREVERSIBLE: 3,
}
"""Strictness order of the tiers."""


class Fallback(StrEnum):
    """What happens when nobody decides before the escalation ladder is exhausted."""

    REJECT = "reject"
    HOLD = "hold"
    """Keep waiting, without further timers, until someone decides."""
    APPROVE = "approve"
    """Only ever honoured for read-only and low-risk tiers."""


class FiredRule(Contract):
    """A policy rule that contributed to the verdict."""

    id: str
    text: str
    mode: Mode | None = None
    """The mode this rule asks for (None: the rule only explains or adjusts the verdict)."""
    source: str = ""
    """What fired it: `fact` (established by the system), `claim` (the agent's word, which can only
    tighten a verdict), or empty for the policy's own settings (tiers, stages, sampling)."""
    basis: str = ""
    """The fact or claim that fired it, e.g. `customer_tier = 'enterprise' (order A-1005)`."""


class LadderTier(Contract):
    """One rung of an escalation ladder."""

    group: str
    """Reviewer group that may decide at this rung."""
    sla_seconds: int = Field(gt=0)
    """How long this rung waits before escalating."""
    remind_earlier: bool = False
    """On escalation to this rung, also remind the groups of earlier rungs."""


class Verdict(Contract):
    """The policy's classification of one action, with its reasons."""

    mode: Mode
    risk_tier: RiskTier
    reasons: list[FiredRule] = Field(default_factory=list)
    ladder: list[LadderTier] = Field(default_factory=list)
    quorum: int = Field(default=1, ge=1)
    """Distinct approvals required."""
    required_limit: float | None = None
    """Approval limit a reviewer needs to approve this action (its amount)."""
    fallback: Fallback = Fallback.REJECT
    sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of auto-executed actions opened for post-hoc review."""
    review_window_seconds: int = 86_400
    """How long a post-hoc review may revert the action."""
    max_revision_rounds: int = 2
    """How many times a reviewer may send an action back for changes."""
    policy_hash: str = ""
    """Version hash of the policy that produced the verdict."""
    facts: Facts | None = None
    """The facts the verdict rests on (None: judged without any, so nothing relaxed it)."""
