"""The policy document: what a risk owner writes in `policies/<name>.toml`.

A policy says, per tool, how risky an action is and when it needs a human; who may review
(groups, members, approval limits); and how requests escalate (ladders of groups with SLAs and
a fallback when nobody answers). `policies.parse` turns TOML text into a `Policy`;
`policies.evaluate` turns a `Policy` and a proposed action into a `Verdict`.
"""

from pydantic import Field, model_validator

from hitl.contracts.base import Contract
from hitl.contracts.verdict import Fallback, LadderTier, Mode, RiskTier
from policies.autonomy import AutonomyRules
from policies.budgets import Budget
from policies.calibration import CalibrationRules
from policies.durations import Seconds
from policies.identity import IdentityRules, normalize_name
from policies.shadow import ShadowRules
from policies.triggers import ConfidenceBands, Triggers


class ToolRule(Contract):
    """How the policy treats one tool (`[tools.<name>]`)."""

    tier: RiskTier
    amount_arg: str | None = None
    """Name of the argument that carries the money amount, if any (the agent's own claim about the
    amount never stands in for it)."""
    currency_arg: str | None = None
    """Name of the argument that carries the amount's currency, if any."""
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    """Currency of `approve_above`: an amount in another currency cannot be compared with it, so
    it stops at a human gate (`amount.currency`)."""
    approve_above: float | None = Field(default=None, ge=0)
    """Amounts above this stop at a human gate; at or below run on their own."""
    outside_task: Mode | None = None
    """Mode of an action whose bound arguments do not match its task (`block`, or `approve`: gated
    at the top tier of its ladder); None: `triggers.outside_task`."""
    ladder: str = "default"
    """Escalation ladder used when this tool is gated."""
    quorum: int = Field(default=1, ge=1)
    """Distinct approvers required (2 = two-person rule)."""
    review_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of this tool's auto-executed actions opened for post-hoc review (may be reverted)."""
    review_window: Seconds = 86_400
    """How long a post-hoc review may revert the action, e.g. `24h`."""
    confidence: ConfidenceBands | None = None
    """Confidence bands for this tool; the policy's `[confidence]` when omitted."""


class ReviewerGroup(Contract):
    """A group in the reviewer directory (`[reviewers.<group>]`)."""

    members: list[str] = Field(min_length=1)
    approval_limit: float | None = Field(default=None, ge=0)
    """Largest amount a member may approve; no limit when omitted."""
    channel: str = "console"
    """Notification channel for this group (`console`, `slack`, `email`, `webhook`)."""


class LadderRung(Contract):
    """One rung of an escalation ladder."""

    group: str
    sla: Seconds
    """How long this rung waits before escalating, e.g. `4h`."""
    remind_earlier: bool = False


class Ladder(Contract):
    """An escalation ladder (`[ladders.<name>]`)."""

    tiers: list[LadderRung] = Field(min_length=1)
    fallback: Fallback = Fallback.REJECT
    """What happens when the last rung's SLA expires."""

    def as_tiers(self) -> list[LadderTier]:
        """The rungs as a verdict carries them."""
        return [
            LadderTier(group=r.group, sla_seconds=r.sla, remind_earlier=r.remind_earlier) for r in self.tiers
        ]


class Policy(Contract):
    """A whole policy file."""

    name: str = Field(min_length=1)
    description: str = ""
    tools: dict[str, ToolRule] = Field(default_factory=dict)
    reviewers: dict[str, ReviewerGroup] = Field(default_factory=dict)
    ladders: dict[str, Ladder] = Field(default_factory=dict)
    unknown_tool: Mode = Mode.BLOCK
    """Mode for a tool the policy does not list: never silently allowed by default."""
    confidence: ConfidenceBands = Field(default_factory=ConfidenceBands)
    """Default confidence bands (the field's: above 0.9 alone, 0.7-0.9 flagged, below 0.7 gated)."""
    triggers: Triggers = Field(default_factory=Triggers)
    autonomy: AutonomyRules = Field(default_factory=AutonomyRules)
    shadow: ShadowRules = Field(default_factory=ShadowRules)
    budgets: dict[str, Budget] = Field(default_factory=dict)
    """Cumulative limits per task or per subject over a window (see `policies.budgets`)."""
    calibration: CalibrationRules = Field(default_factory=CalibrationRules)
    """How much track record the agent's confidence needs (see `policies.calibration`)."""
    identity: IdentityRules = Field(default_factory=IdentityRules)
    """Which decisions must be signed, and the reviewers' keys and trusted token issuers."""

    @model_validator(mode="after")
    def _references_resolve(self) -> "Policy":
        for budget_name, budget in self.budgets.items():
            unknown = sorted(set(budget.tools) - set(self.tools))
            if unknown:
                raise ValueError(f"budgets.{budget_name}.tools: tools not in the policy: {unknown}")
        for ladder_name, ladder in self.ladders.items():
            for index, rung in enumerate(ladder.tiers):
                if rung.group not in self.reviewers:
                    raise ValueError(
                        f"ladders.{ladder_name}.tiers.{index}.group: unknown reviewer group "
                        f"{rung.group!r} (known: {sorted(self.reviewers)})"
                    )
        for tool_name, tool in self.tools.items():
            needs_ladder = tool.tier in (RiskTier.HIGH, RiskTier.IRREVERSIBLE) or (
                tool.approve_above is not None
            )
            if tool.outside_task not in (None, Mode.BLOCK, Mode.APPROVE):
                raise ValueError(f"tools.{tool_name}.outside_task: must be 'block' or 'approve'")
            if needs_ladder and tool.ladder not in self.ladders:
                raise ValueError(
                    f"tools.{tool_name}.ladder: unknown ladder {tool.ladder!r} "
                    f"(known: {sorted(self.ladders)})"
                )
        return self

    def groups_of(self, reviewer: str) -> list[str]:
        """Return the groups a reviewer belongs to, in directory order (names compared normalized)."""
        wanted = normalize_name(reviewer)
        return [
            name
            for name, group in self.reviewers.items()
            if wanted in {normalize_name(member) for member in group.members}
        ]

    def approval_limit_of(self, reviewer: str) -> float | None:
        """Return the highest approval limit among the reviewer's groups (None: unlimited)."""
        limits = [self.reviewers[g].approval_limit for g in self.groups_of(reviewer)]
        if any(limit is None for limit in limits):
            return None
        return max((limit for limit in limits if limit is not None), default=0.0)


class PolicySnapshot(Contract):
    """A parsed policy pinned in workflow history, with its version hash."""

    name: str
    hash: str
    """sha256 of the policy's canonical JSON: edits of whitespace or comments do not change it."""
    policy: Policy
    source: str = ""
    """Where it was loaded from (file path), for the audit trail."""


class LoadPolicyInput(Contract):
    """Input of the `load_policy` activity."""

    name: str
