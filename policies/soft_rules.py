"""The soft rules `evaluate()` fires, which autonomy stages adjust: the confidence band, and the
customer's tier, sentiment and precedent.

Facts fire first; a claim (the agent's `signals`) fires its own `claim.*` rule only where it
differs from the facts and asks for more, and what the agent leaves out relaxes nothing.
"""

from hitl.contracts.actions import ProposedAction
from hitl.contracts.facts import Facts
from hitl.contracts.verdict import MODE_ORDER, FiredRule, Mode
from policies.hard_rules import CLAIM, FACT
from policies.model import Policy, ToolRule


def confidence_rule(
    policy: Policy, rule: ToolRule, action: ProposedAction, confidence: float | None
) -> FiredRule:
    """The band of the calibrated confidence (the claim itself while there is no record)."""
    bands = rule.confidence or policy.confidence
    value = action.confidence if confidence is None else confidence
    band_mode = bands.mode_for(value)
    band = {Mode.AUTO: "high", Mode.AUTO_THEN_REVIEW: "medium"}.get(band_mode, "low")
    what = {
        Mode.AUTO: f"above {bands.auto_above:g}: execute and log",
        Mode.AUTO_THEN_REVIEW: f"between {bands.approve_below:g} and {bands.auto_above:g}: execute, then review",
    }.get(band_mode, f"below {bands.approve_below:g}: a human decides")
    lowered = confidence is not None and confidence < action.confidence
    basis = f"confidence = {action.confidence:g}" + (f", calibrated {confidence:g}" if lowered else "")
    shown = f"{value:g} (calibrated from {action.confidence:g})" if lowered else f"{value:g}"
    return FiredRule(
        id=f"confidence.{band}",
        text=f"confidence {shown} is {what}",
        mode=band_mode,
        source=FACT if lowered else CLAIM,
        basis=basis,
    )


def subject_rules(
    policy: Policy, action: ProposedAction, facts: Facts, novel_fact: bool, task_kind: str
) -> list[FiredRule]:
    """Soft rules on the customer and the precedent: facts first, then claims that ask for more."""
    triggers = policy.triggers
    signals = action.signals
    fired = []
    tier = facts.customer_tier
    if tier is not None and tier in triggers.customer_tiers:
        fired.append(
            _on(f"customer_tier.{tier}", f"customer tier {tier!r}", triggers.customer_tiers[tier], facts)
        )
    elif tier is None and triggers.customer_tiers:
        # Leaving the tier out must not pass for the most lenient tier: unknown is the strictest.
        strictest = max(triggers.customer_tiers.values(), key=MODE_ORDER.__getitem__)
        fired.append(_on("customer_tier.unknown", "no customer tier on file", strictest, facts))
    if signals.customer_tier not in (None, tier) and signals.customer_tier in triggers.customer_tiers:
        fired.append(
            _claimed(
                f"claim.customer_tier.{signals.customer_tier}",
                f"the agent says the customer tier is {signals.customer_tier!r}",
                triggers.customer_tiers[signals.customer_tier],
                f"signals.customer_tier = {signals.customer_tier!r}",
            )
        )
    sentiment = facts.sentiment
    if sentiment is not None and sentiment in triggers.sentiments:
        basis = f"sentiment = {sentiment!r} ({facts.sentiment_source or 'classifier'})"
        fired.append(
            FiredRule(
                id=f"sentiment.{sentiment}",
                text=f"customer sentiment {sentiment!r}",
                mode=triggers.sentiments[sentiment],
                source=FACT,
                basis=basis,
            )
        )
    if signals.sentiment not in (None, sentiment) and signals.sentiment in triggers.sentiments:
        fired.append(
            _claimed(
                f"claim.sentiment.{signals.sentiment}",
                f"the agent reads the customer as {signals.sentiment!r}",
                triggers.sentiments[signals.sentiment],
                f"signals.sentiment = {signals.sentiment!r}",
            )
        )
    if triggers.novelty is not None and (novel_fact or signals.novelty):
        text = f"no precedent for {action.tool} on this subject in {task_kind or 'this task kind'}"
        if novel_fact:
            fired.append(
                FiredRule(
                    id="novelty.no_precedent",
                    text=text,
                    mode=triggers.novelty,
                    source=FACT,
                    basis="no human-approved precedent in the feedback store",
                )
            )
        else:
            fired.append(
                _claimed("claim.novelty", f"the agent says: {text}", triggers.novelty, "signals.novelty")
            )
    return fired


def _on(rule_id: str, text: str, mode: Mode, facts: Facts) -> FiredRule:
    basis = f"customer_tier = {facts.customer_tier!r}" + (f" ({facts.record})" if facts.record else "")
    return FiredRule(id=rule_id, text=text, mode=mode, source=FACT, basis=basis)


def _claimed(rule_id: str, text: str, mode: Mode, basis: str) -> FiredRule:
    return FiredRule(id=rule_id, text=text, mode=mode, source=CLAIM, basis=basis)
