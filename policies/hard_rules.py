"""The hard rules `evaluate()` fires, on facts and on claims kept apart.

A rule on a fact may relax a verdict (an amount within its threshold); a rule on a claim (the
agent's `signals` and `confidence`) only ever asks for more. Hard rules hold at every autonomy
stage: missing facts, currency, what is left, bindings, budgets, uncalibrated confidence on
high-risk writes, a higher claimed amount, policy conflict and ambiguity.
"""

from decimal import Decimal

from hitl.contracts.actions import ProposedAction
from hitl.contracts.facts import Facts
from hitl.contracts.verdict import FiredRule, Mode, RiskTier
from policies.model import Policy, ToolRule

FACT = "fact"
CLAIM = "claim"
HIGH_RISK = (RiskTier.HIGH, RiskTier.IRREVERSIBLE)


def action_amount(rule: ToolRule, action: ProposedAction) -> float | None:
    """The money amount the tool will run with: its amount argument (None when the policy names
    none, or it is missing or not a number). The agent's claim about the amount never stands in."""
    if rule.amount_arg is None:
        return None
    value = action.args.get(rule.amount_arg)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return None


def action_currency(rule: ToolRule, action: ProposedAction) -> str | None:
    """The currency the tool will run with, when the policy names its argument."""
    value = action.args.get(rule.currency_arg) if rule.currency_arg is not None else None
    return value if isinstance(value, str) else None


def fact_rules(policy: Policy, rule: ToolRule, action: ProposedAction, facts: Facts) -> list[FiredRule]:
    """Hard rules on established facts: missing facts, currency, what is left, bindings, budgets."""
    fired = []
    if not facts.established:
        fired.append(
            FiredRule(
                id="facts.missing",
                text="no facts were established for this action: nothing the agent says relaxes the verdict",
                mode=Mode.APPROVE,
                source=FACT,
                basis="; ".join(facts.problems) or "nothing established",
            )
        )
    amount = action_amount(rule, action)
    currency = action_currency(rule, action)
    if rule.currency is not None and rule.approve_above is not None and currency != rule.currency:
        fired.append(
            FiredRule(
                id="amount.currency",
                text=f"an amount in {currency or 'no currency'} cannot be compared with the threshold "
                f"{rule.approve_above:g} {rule.currency}",
                mode=Mode.APPROVE,
                source=FACT,
                basis=f"{rule.currency_arg} = {currency!r}",
            )
        )
    if facts.amount_left is not None and amount is not None and amount > facts.amount_left + 1e-9:
        fired.append(
            FiredRule(
                id="amount.over_left",
                text=f"amount {amount:g} is more than the {facts.amount_left:g} left on the record",
                mode=policy.triggers.amount_over_left,
                source=FACT,
                basis=facts.record,
            )
        )
    outside = rule.outside_task or policy.triggers.outside_task
    for binding in facts.failed_bindings():
        where = "blocked" if outside is Mode.BLOCK else "gated at the top tier"
        fired.append(
            FiredRule(
                id=f"binding.{binding.arg}",
                text=f"outside its task: {binding.describe()} ({where})",
                mode=outside,
                source=FACT,
                basis=facts.record or "the task's subject",
            )
        )
    for use in facts.budgets:
        if use.crossed:
            budget = policy.budgets.get(use.budget)
            fired.append(
                FiredRule(
                    id=f"budget.{use.budget}",
                    text=f"this action would cross the budget: {use.describe()}",
                    mode=budget.mode if budget is not None else Mode.APPROVE,
                    source=FACT,
                    basis=use.scope,
                )
            )
    return fired


def claim_rules(policy: Policy, rule: ToolRule, action: ProposedAction) -> list[FiredRule]:
    """Hard rules on what the agent reports: a higher claimed amount, a policy conflict, ambiguity."""
    fired = []
    claimed = action.signals.amount
    amount = action_amount(rule, action)
    above = rule.approve_above is not None and claimed is not None and claimed > rule.approve_above
    if above and claimed is not None and (amount is None or claimed > amount):
        fired.append(
            FiredRule(
                id="claim.amount",
                text=f"the agent says the amount is {claimed:g}, above the threshold {rule.approve_above:g}",
                mode=Mode.APPROVE,
                source=CLAIM,
                basis=f"signals.amount = {claimed:g}",
            )
        )
    triggers = policy.triggers
    if action.signals.policy_conflict:
        fired.append(
            FiredRule(
                id="conflict.policy",
                text="the agent found instructions or rules that contradict each other",
                mode=triggers.policy_conflict,
                source=CLAIM,
                basis="signals.policy_conflict",
            )
        )
    if action.signals.ambiguous_intent or action.question:
        # Approving a specific action is premature while what is wanted is unclear.
        fired.append(
            FiredRule(
                id="intent.ambiguous",
                text="the intent is ambiguous: ask first",
                mode=triggers.ambiguous_intent,
                source=CLAIM,
                basis="question" if action.question else "signals.ambiguous_intent",
            )
        )
    return fired


def uncalibrated_rule(
    policy: Policy, rule: ToolRule, action: ProposedAction, confidence: float | None
) -> list[FiredRule]:
    """A high-risk write whose confidence has too little record behind it stops at the gate."""
    if confidence is not None or rule.tier not in HIGH_RISK:
        return []
    return [
        FiredRule(
            id="confidence.uncalibrated",
            text=f"confidence {action.confidence:g} is not calibrated yet (under "
            f"{policy.calibration.min_decisions} human decisions, or "
            f"{policy.calibration.min_bucket_decisions} in its band): a human decides",
            mode=Mode.APPROVE,
            source=CLAIM,
            basis=f"confidence = {action.confidence:g}",
        )
    ]
