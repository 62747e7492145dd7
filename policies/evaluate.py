"""`evaluate()`: the pure function from (policy, action, context) to an explained `Verdict`."""

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract
from hitl.contracts.verdict import (
    RISK_ORDER,
    Fallback,
    FiredRule,
    LadderTier,
    Mode,
    RiskTier,
    Verdict,
)
from policies.model import Policy, ToolRule


class EvaluationContext(Contract):
    """What the policy may know besides the action itself."""

    task_kind: str = ""
    requester: str = ""
    policy_hash: str = ""


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
        autonomy: Autonomy stage for this task kind and action type (1..5), if known.

    Returns:
        A verdict whose `reasons` name every rule that fired, in the order they fired.
    """
    del autonomy  # graduated autonomy refines verdicts; see policies.autonomy
    rule = policy.tools.get(action.tool)
    if rule is None:
        return Verdict(
            mode=policy.unknown_tool,
            risk_tier=RiskTier.IRREVERSIBLE,
            reasons=[FiredRule(id="tool.unknown", text=f"{action.tool!r} is not in the policy")],
            policy_hash=context.policy_hash,
        )
    reasons: list[FiredRule] = []
    mode = _mode_for(rule, action, reasons)
    if action.signals.ambiguous_intent or action.question:
        # Approving a specific action is premature while what is wanted is unclear.
        reasons.append(FiredRule(id="intent.ambiguous", text="the intent is ambiguous: ask first"))
        return _gated(policy, rule, action, reasons, context).model_copy(update={"mode": Mode.CLARIFY})
    if mode is Mode.APPROVE:
        return _gated(policy, rule, action, reasons, context)
    if mode is Mode.AUTO and rule.review_sample_rate > 0 and rule.tier is not RiskTier.READ_ONLY:
        reasons.append(
            FiredRule(
                id="review.sampled",
                text=f"{rule.review_sample_rate:.0%} of these are reviewed after they run",
            )
        )
        mode = Mode.AUTO_THEN_REVIEW
    return Verdict(
        mode=mode,
        risk_tier=rule.tier,
        reasons=reasons,
        ladder=_ladder(policy, rule),
        sample_rate=rule.review_sample_rate,
        review_window_seconds=rule.review_window,
        policy_hash=context.policy_hash,
    )


def action_amount(rule: ToolRule, action: ProposedAction) -> float | None:
    """Return the money amount of an action: its amount argument, else its risk signal."""
    if rule.amount_arg is not None:
        value = action.args.get(rule.amount_arg)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return action.signals.amount


def _mode_for(rule: ToolRule, action: ProposedAction, reasons: list[FiredRule]) -> Mode:
    if rule.tier is RiskTier.IRREVERSIBLE:
        reasons.append(FiredRule(id="tier.irreversible", text="irreversible actions need a human"))
        return Mode.APPROVE
    amount = action_amount(rule, action)
    if rule.approve_above is not None:
        if amount is None:
            reasons.append(FiredRule(id="amount.missing", text="the action has no amount to check"))
            return Mode.APPROVE
        if amount > rule.approve_above:
            reasons.append(
                FiredRule(
                    id="amount.above_threshold",
                    text=f"amount {amount:g} is above the threshold {rule.approve_above:g}",
                )
            )
            return Mode.APPROVE
        reasons.append(
            FiredRule(
                id="amount.within_threshold",
                text=f"amount {amount:g} is within the threshold {rule.approve_above:g}",
            )
        )
        return Mode.AUTO
    if rule.tier is RiskTier.HIGH:
        reasons.append(FiredRule(id="tier.high", text="high-risk writes need a human"))
        return Mode.APPROVE
    reasons.append(FiredRule(id=f"tier.{rule.tier.value}", text=f"{rule.tier.value} runs alone"))
    return Mode.AUTO


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
