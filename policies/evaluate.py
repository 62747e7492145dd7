"""`evaluate()`: the pure function from (policy, action, context, autonomy) to an explained `Verdict`.

Every rule that fires adds a `FiredRule` (id, text, the mode it asks for) to the verdict's
reasons; the strictest mode asked for wins (`auto` < `auto_then_review` < `approve` < `clarify` <
`block`). Hard rules (tier, amount, policy conflict, ambiguous intent, unknown tool) hold at every
autonomy stage; soft rules (confidence band, customer tier, sentiment, novelty, review sampling)
are what autonomy stages tighten or relax (see `policies.autonomy`). No I/O: facts such as
novelty arrive in the context.
"""

from decimal import Decimal

from pydantic import Field

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract
from hitl.contracts.verdict import (
    MODE_ORDER,
    RISK_ORDER,
    Fallback,
    FiredRule,
    LadderTier,
    Mode,
    RiskTier,
    Verdict,
)
from policies.autonomy import MAX_STAGE, MIN_STAGE, STAGE_NAMES
from policies.model import Policy, ToolRule


class EvaluationContext(Contract):
    """What the policy may know besides the action itself."""

    task_kind: str = ""
    requester: str = ""
    policy_hash: str = ""
    novel_action_types: list[str] = Field(default_factory=list)
    """Action types with no precedent for this task kind (computed from PostgreSQL at task start)."""


def strictest(modes: list[Mode]) -> Mode:
    """The strictest of `modes` (`auto` for none)."""
    return max(modes, key=MODE_ORDER.__getitem__, default=Mode.AUTO)


def evaluate(
    policy: Policy,
    action: ProposedAction,
    context: EvaluationContext,
    autonomy: int | None = None,
) -> Verdict:
    """Classify one proposed action.

    Args:
        policy: The policy in force (pinned in workflow history).
        action: What the agent proposes.
        context: Task facts the rules may use.
        autonomy: Autonomy stage (1..5) for this task kind and action type; None means the
            policy's `autonomy.initial_stage`.

    Returns:
        A verdict whose `reasons` name every rule that fired, in the order they fired; its mode
        is the strictest any of them asked for.
    """
    rule = policy.tools.get(action.tool)
    if rule is None:
        return Verdict(
            mode=policy.unknown_tool,
            risk_tier=RiskTier.IRREVERSIBLE,
            reasons=[
                FiredRule(
                    id="tool.unknown", text=f"{action.tool!r} is not in the policy", mode=policy.unknown_tool
                )
            ],
            policy_hash=context.policy_hash,
        )
    stage = min(
        max(autonomy if autonomy is not None else policy.autonomy.initial_stage, MIN_STAGE), MAX_STAGE
    )
    hard = _hard_rules(policy, rule, action)
    soft = _soft_rules(policy, rule, action, context) if rule.tier is not RiskTier.READ_ONLY else []
    reasons = [*hard, *_at_stage(stage, soft)]
    mode = strictest([r.mode for r in reasons if r.mode is not None])
    sample_rate = 1.0 if any(r.mode is Mode.AUTO_THEN_REVIEW for r in reasons) else 0.0
    writes = rule.tier is not RiskTier.READ_ONLY
    if mode is Mode.AUTO and writes and stage <= 2:
        tightened = Mode.APPROVE if stage == 1 else Mode.AUTO_THEN_REVIEW
        reasons.append(_stage_rule(stage, tightened))
        mode, sample_rate = tightened, 1.0
    elif mode is Mode.AUTO_THEN_REVIEW and stage == 1:
        reasons.append(_stage_rule(stage, Mode.APPROVE))
        mode = Mode.APPROVE
    elif mode is Mode.AUTO and writes and rule.review_sample_rate > 0 and stage < MAX_STAGE:
        reasons.append(
            FiredRule(
                id="review.sampled",
                text=f"{rule.review_sample_rate:.0%} of these are reviewed after they run",
                mode=Mode.AUTO_THEN_REVIEW,
            )
        )
        mode, sample_rate = Mode.AUTO_THEN_REVIEW, rule.review_sample_rate
    if MODE_ORDER[mode] >= MODE_ORDER[Mode.APPROVE]:
        return _gated(policy, rule, action, reasons, context).model_copy(update={"mode": mode})
    return Verdict(
        mode=mode,
        risk_tier=rule.tier,
        reasons=reasons,
        ladder=_ladder(policy, rule),
        sample_rate=sample_rate,
        review_window_seconds=rule.review_window,
        policy_hash=context.policy_hash,
    )


def action_amount(rule: ToolRule, action: ProposedAction) -> float | None:
    """Return the money amount of an action: its amount argument when the policy names one (None
    when that is missing or not a number, which gates), else the agent's risk signal."""
    if rule.amount_arg is not None:
        # The argument is what runs: never fall back to the agent's own claim about the amount.
        value = action.args.get(rule.amount_arg)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return float(value)
        return None
    return action.signals.amount


def _hard_rules(policy: Policy, rule: ToolRule, action: ProposedAction) -> list[FiredRule]:
    """Rules no autonomy stage relaxes: tier, amount, policy conflict, ambiguous intent."""
    fired = [_tier_or_amount(rule, action)]
    triggers = policy.triggers
    if action.signals.policy_conflict:
        fired.append(
            FiredRule(
                id="conflict.policy",
                text="the agent found instructions or rules that contradict each other",
                mode=triggers.policy_conflict,
            )
        )
    if action.signals.ambiguous_intent or action.question:
        # Approving a specific action is premature while what is wanted is unclear.
        fired.append(
            FiredRule(
                id="intent.ambiguous",
                text="the intent is ambiguous: ask first",
                mode=triggers.ambiguous_intent,
            )
        )
    return fired


def _tier_or_amount(rule: ToolRule, action: ProposedAction) -> FiredRule:
    if rule.tier is RiskTier.IRREVERSIBLE:
        return FiredRule(id="tier.irreversible", text="irreversible actions need a human", mode=Mode.APPROVE)
    amount = action_amount(rule, action)
    if rule.approve_above is not None:
        if amount is None:
            return FiredRule(id="amount.missing", text="the action has no amount to check", mode=Mode.APPROVE)
        if amount > rule.approve_above:
            return FiredRule(
                id="amount.above_threshold",
                text=f"amount {amount:g} is above the threshold {rule.approve_above:g}",
                mode=Mode.APPROVE,
            )
        return FiredRule(
            id="amount.within_threshold",
            text=f"amount {amount:g} is within the threshold {rule.approve_above:g}",
            mode=Mode.AUTO,
        )
    if rule.tier is RiskTier.HIGH:
        return FiredRule(id="tier.high", text="high-risk writes need a human", mode=Mode.APPROVE)
    return FiredRule(id=f"tier.{rule.tier.value}", text=f"{rule.tier.value} runs alone", mode=Mode.AUTO)


def _soft_rules(
    policy: Policy, rule: ToolRule, action: ProposedAction, context: EvaluationContext
) -> list[FiredRule]:
    """Rules on the agent's confidence and the customer, which autonomy stages adjust."""
    bands = rule.confidence or policy.confidence
    band_mode = bands.mode_for(action.confidence)
    band = {Mode.AUTO: "high", Mode.AUTO_THEN_REVIEW: "medium"}.get(band_mode, "low")
    what = {
        Mode.AUTO: f"above {bands.auto_above:g}: execute and log",
        Mode.AUTO_THEN_REVIEW: f"between {bands.approve_below:g} and {bands.auto_above:g}: execute, then review",
    }.get(band_mode, f"below {bands.approve_below:g}: a human decides")
    fired = [
        FiredRule(id=f"confidence.{band}", text=f"confidence {action.confidence:g} is {what}", mode=band_mode)
    ]
    triggers = policy.triggers
    signals = action.signals
    if signals.customer_tier is not None and signals.customer_tier in triggers.customer_tiers:
        fired.append(
            FiredRule(
                id=f"customer_tier.{signals.customer_tier}",
                text=f"customer tier {signals.customer_tier!r}",
                mode=triggers.customer_tiers[signals.customer_tier],
            )
        )
    if signals.sentiment is not None and signals.sentiment in triggers.sentiments:
        fired.append(
            FiredRule(
                id=f"sentiment.{signals.sentiment}",
                text=f"customer sentiment {signals.sentiment!r}",
                mode=triggers.sentiments[signals.sentiment],
            )
        )
    novel = signals.novelty or action.tool in context.novel_action_types
    if novel and triggers.novelty is not None:
        fired.append(
            FiredRule(
                id="novelty.no_precedent",
                text=f"no precedent for {action.tool} on this subject in {context.task_kind or 'this task kind'}",
                mode=triggers.novelty,
            )
        )
    return fired


def _at_stage(stage: int, soft: list[FiredRule]) -> list[FiredRule]:
    """Soft rules as the autonomy stage lets them count."""
    if stage == MAX_STAGE:
        kept = [r for r in soft if r.mode is Mode.AUTO]
        waived = [r.id for r in soft if r.mode is not Mode.AUTO]
        if waived:
            text = f"stage {stage} ({STAGE_NAMES[stage]}) waives {', '.join(waived)}"
            kept.append(FiredRule(id=f"autonomy.stage{stage}", text=text))
        return kept
    if stage == 4:
        capped = []
        for r in soft:
            if r.mode is not None and MODE_ORDER[r.mode] > MODE_ORDER[Mode.AUTO_THEN_REVIEW]:
                text = f"{r.text} (stage 4 ({STAGE_NAMES[4]}): flagged for review instead)"
                r = r.model_copy(update={"mode": Mode.AUTO_THEN_REVIEW, "text": text})
            capped.append(r)
        return capped
    return soft


def _stage_rule(stage: int, mode: Mode) -> FiredRule:
    what = "every write stops at a human gate" if stage == 1 else "every write is reviewed after it runs"
    return FiredRule(
        id=f"autonomy.stage{stage}", text=f"stage {stage} ({STAGE_NAMES[stage]}): {what}", mode=mode
    )


def _gated(
    policy: Policy,
    rule: ToolRule,
    action: ProposedAction,
    reasons: list[FiredRule],
    context: EvaluationContext,
) -> Verdict:
    ladder = policy.ladders.get(rule.ladder) or next(iter(policy.ladders.values()), None)
    # Without any ladder there is nobody to escalate to: hold until someone decides.
    fallback = ladder.fallback if ladder is not None else Fallback.HOLD
    if fallback is Fallback.APPROVE and RISK_ORDER[rule.tier] >= RISK_ORDER[RiskTier.HIGH]:
        fallback = Fallback.REJECT
        reasons.append(
            FiredRule(
                id="fallback.no_auto_approve",
                text="a timeout never approves a high-risk action: fallback is reject",
            )
        )
    return Verdict(
        mode=Mode.APPROVE,
        risk_tier=rule.tier,
        reasons=reasons,
        ladder=_ladder(policy, rule),
        quorum=rule.quorum,
        required_limit=action_amount(rule, action),
        fallback=fallback,
        policy_hash=context.policy_hash,
    )


def _ladder(policy: Policy, rule: ToolRule) -> list[LadderTier]:
    ladder = policy.ladders.get(rule.ladder) or next(iter(policy.ladders.values()), None)
    return ladder.as_tiers() if ladder is not None else []
