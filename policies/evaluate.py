"""`evaluate()`: the pure function from (policy, action, context, autonomy, facts) to an explained
`Verdict`.

Every rule that fires adds a `FiredRule` (id, text, the mode it asks for, and the fact or claim
behind it) to the verdict's reasons; the strictest mode asked for wins (`auto` <
`auto_then_review` < `approve` < `clarify` < `block`). Facts (established by an activity, see
`hitl.contracts.facts`) and claims (the agent's `signals` and `confidence`) are taken apart: facts
may relax a verdict, claims only tighten it (`policies.hard_rules`, `policies.soft_rules`). Hard rules (tier, amount,
currency, what is left, bindings, budgets, uncalibrated confidence on high-risk writes, policy
conflict, ambiguous intent, unknown tool) hold at every autonomy stage; soft rules (confidence
band, customer tier, sentiment, novelty, review sampling) are what autonomy stages tighten or
relax (see `policies.autonomy`). No I/O.
"""

from pydantic import Field

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract
from hitl.contracts.facts import Facts
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
from policies.calibration import Calibration, calibrated
from policies.hard_rules import action_amount, claim_rules, fact_rules, uncalibrated_rule
from policies.model import Policy, ToolRule
from policies.soft_rules import confidence_rule, subject_rules

__all__ = ["EvaluationContext", "action_amount", "evaluate", "strictest"]


class EvaluationContext(Contract):
    """What the policy may know about the task besides the action and its facts."""

    task_kind: str = ""
    requester: str = ""
    policy_hash: str = ""
    novel_action_types: list[str] = Field(default_factory=list)
    """Action types with no precedent for this task kind (computed from PostgreSQL at task start);
    used when the action's facts do not say (`Facts.novel` is None)."""
    calibration: dict[str, Calibration] = Field(default_factory=dict)
    """Per action type, the confidence calibration pinned at task start."""


def strictest(modes: list[Mode]) -> Mode:
    """The strictest of `modes` (`auto` for none)."""
    return max(modes, key=MODE_ORDER.__getitem__, default=Mode.AUTO)


def evaluate(
    policy: Policy,
    action: ProposedAction,
    context: EvaluationContext,
    autonomy: int | None = None,
    facts: Facts | None = None,
) -> Verdict:
    """Classify one proposed action.

    Args:
        policy: The policy in force (pinned in workflow history).
        action: What the agent proposes: its tool and arguments (as the tool will run them) and
            its claims (`signals`, `confidence`), which can only make the verdict stricter.
        context: Task facts the rules may use.
        autonomy: Autonomy stage (1..5) for this task kind and action type; None means the
            policy's `autonomy.initial_stage`.
        facts: What the system established about the action; None (or not `established`) means
            nothing is known, so nothing relaxes the verdict (`facts.missing` gates it).

    Returns:
        A verdict whose `reasons` name every rule that fired, in the order they fired, with the
        fact or claim behind each; its mode is the strictest any of them asked for. The verdict
        carries the facts it rests on.
    """
    facts = facts if facts is not None else Facts()
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
            facts=facts,
        )
    stage = min(
        max(autonomy if autonomy is not None else policy.autonomy.initial_stage, MIN_STAGE), MAX_STAGE
    )
    confidence = calibrated(policy.calibration, context.calibration.get(action.tool), action.confidence)
    hard = [
        _tier_or_amount(rule, action),
        *fact_rules(policy, rule, action, facts),
        *claim_rules(policy, rule, action),
        *uncalibrated_rule(policy, rule, action, confidence),
    ]
    soft = []
    if rule.tier is not RiskTier.READ_ONLY:
        novel = facts.novel if facts.novel is not None else action.tool in context.novel_action_types
        soft = [
            confidence_rule(policy, rule, action, confidence),
            *subject_rules(policy, action, facts, novel, context.task_kind),
        ]
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
        verdict = _gated(policy, rule, action, reasons, context)
        return verdict.model_copy(update={"mode": mode, "facts": facts})
    return Verdict(
        mode=mode,
        risk_tier=rule.tier,
        reasons=reasons,
        ladder=_ladder(policy, rule),
        sample_rate=sample_rate,
        review_window_seconds=rule.review_window,
        policy_hash=context.policy_hash,
        facts=facts,
    )


def _tier_or_amount(rule: ToolRule, action: ProposedAction) -> FiredRule:
    if rule.tier is RiskTier.IRREVERSIBLE:
        return FiredRule(id="tier.irreversible", text="irreversible actions need a human", mode=Mode.APPROVE)
    amount = action_amount(rule, action)
    if rule.approve_above is not None:
        basis = f"{rule.amount_arg} = {amount:g}" if amount is not None else f"{rule.amount_arg} missing"
        if amount is None:
            return FiredRule(
                id="amount.missing",
                text="the action has no amount to check",
                mode=Mode.APPROVE,
                source="fact",
                basis=basis,
            )
        if amount > rule.approve_above:
            return FiredRule(
                id="amount.above_threshold",
                text=f"amount {amount:g} is above the threshold {rule.approve_above:g}",
                mode=Mode.APPROVE,
                source="fact",
                basis=basis,
            )
        return FiredRule(
            id="amount.within_threshold",
            text=f"amount {amount:g} is within the threshold {rule.approve_above:g}",
            mode=Mode.AUTO,
            source="fact",
            basis=basis,
        )
    if rule.tier is RiskTier.HIGH:
        return FiredRule(id="tier.high", text="high-risk writes need a human", mode=Mode.APPROVE)
    return FiredRule(id=f"tier.{rule.tier.value}", text=f"{rule.tier.value} runs alone", mode=Mode.AUTO)


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
    ladder_tiers = _ladder(policy, rule)
    if any(r.id.startswith("binding.") and r.mode is Mode.APPROVE for r in reasons):
        # Outside its task, where the policy gates rather than blocks: only the top tier decides.
        ladder_tiers = ladder_tiers[-1:]
    # The approval limit follows the larger of the amount that runs and the amount claimed.
    amounts = [a for a in (action_amount(rule, action), action.signals.amount) if a is not None]
    return Verdict(
        mode=Mode.APPROVE,
        risk_tier=rule.tier,
        reasons=reasons,
        ladder=ladder_tiers,
        quorum=rule.quorum,
        required_limit=max(amounts) if amounts else None,
        fallback=fallback,
        policy_hash=context.policy_hash,
    )


def _ladder(policy: Policy, rule: ToolRule) -> list[LadderTier]:
    ladder = policy.ladders.get(rule.ladder) or next(iter(policy.ladders.values()), None)
    return ladder.as_tiers() if ladder is not None else []
