"""Properties of `evaluate()` over generated policies and actions (hypothesis).

- a higher amount is never less strict;
- a higher risk tier for the same tool is never less strict;
- a lower autonomy stage is never less strict, and no stage relaxes a hard rule.
"""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hitl.contracts import Mode, ProposedAction, RiskSignals, RiskTier
from hitl.contracts.verdict import MODE_ORDER, RISK_ORDER
from policies.evaluate import EvaluationContext, evaluate
from policies.model import Policy

TIERS = sorted(RiskTier, key=RISK_ORDER.__getitem__)
MODES = list(Mode)

amounts = st.floats(min_value=0, max_value=1e7, allow_nan=False)
confidences = st.floats(min_value=0, max_value=1, allow_nan=False)
mode_maps = st.dictionaries(
    st.sampled_from(["gold", "hostile", "standard"]), st.sampled_from(MODES), max_size=2
)


@st.composite
def policies_for_refund(draw: st.DrawFn) -> dict[str, Any]:
    """A policy document with one `issue_refund` tool, its tier left to the test."""
    approve_below = draw(st.floats(min_value=0, max_value=1, allow_nan=False))
    auto_above = draw(st.floats(min_value=approve_below, max_value=1, allow_nan=False))
    return {
        "name": "generated",
        "tools": {
            "issue_refund": {
                "amount_arg": "amount",
                "approve_above": draw(st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)),
                "review_sample_rate": draw(st.sampled_from([0.0, 0.1, 1.0])),
                "confidence": {"auto_above": auto_above, "approve_below": approve_below},
            }
        },
        "reviewers": {"leads": {"members": ["alice"], "approval_limit": 1000}},
        "ladders": {
            "default": {
                "tiers": [{"group": "leads", "sla": "1h"}],
                "fallback": draw(st.sampled_from(["reject", "hold", "approve"])),
            }
        },
        "triggers": {
            "customer_tiers": draw(mode_maps),
            "sentiments": draw(mode_maps),
            "novelty": draw(st.none() | st.sampled_from(MODES)),
        },
    }


@st.composite
def actions(draw: st.DrawFn) -> ProposedAction:
    amount = draw(amounts)
    return ProposedAction(
        step=1,
        tool="issue_refund",
        args={"amount": amount},
        confidence=draw(confidences),
        signals=RiskSignals(
            amount=amount,
            customer_tier=draw(st.sampled_from([None, "gold", "standard"])),
            sentiment=draw(st.sampled_from([None, "hostile", "standard"])),
            novelty=draw(st.booleans()),
            policy_conflict=draw(st.booleans()),
            ambiguous_intent=draw(st.booleans()),
        ),
    )


def policy_with(doc: dict[str, Any], tier: RiskTier) -> Policy:
    tool = {**doc["tools"]["issue_refund"], "tier": tier.value}
    return Policy.model_validate({**doc, "tools": {"issue_refund": tool}})


def strictness(policy: Policy, action: ProposedAction, stage: int | None = None) -> int:
    return MODE_ORDER[evaluate(policy, action, EvaluationContext(), stage).mode]


stages = st.none() | st.integers(min_value=1, max_value=5)


@settings(max_examples=300, deadline=None)
@given(policies_for_refund(), st.sampled_from(TIERS), actions(), amounts, amounts, stages)
def test_a_higher_amount_is_never_less_strict(
    doc: dict[str, Any], tier: RiskTier, action: ProposedAction, a: float, b: float, stage: int | None
) -> None:
    low, high = sorted((a, b))
    policy = policy_with(doc, tier)

    def at(amount: float) -> ProposedAction:
        signals = action.signals.model_copy(update={"amount": amount})
        return action.model_copy(update={"args": {"amount": amount}, "signals": signals})

    assert strictness(policy, at(low), stage) <= strictness(policy, at(high), stage)


@settings(max_examples=300, deadline=None)
@given(policies_for_refund(), actions(), st.integers(0, 3), st.integers(0, 3), stages)
def test_a_higher_tier_is_never_less_strict(
    doc: dict[str, Any], action: ProposedAction, i: int, j: int, stage: int | None
) -> None:
    lower, higher = TIERS[min(i, j)], TIERS[max(i, j)]
    assert strictness(policy_with(doc, lower), action, stage) <= strictness(
        policy_with(doc, higher), action, stage
    )


@settings(max_examples=300, deadline=None)
@given(policies_for_refund(), st.sampled_from(TIERS), actions(), st.integers(1, 5), st.integers(1, 5))
def test_a_lower_stage_is_never_less_strict(
    doc: dict[str, Any], tier: RiskTier, action: ProposedAction, s: int, t: int
) -> None:
    policy = policy_with(doc, tier)
    assert strictness(policy, action, min(s, t)) >= strictness(policy, action, max(s, t))


@settings(max_examples=300, deadline=None)
@given(policies_for_refund(), st.sampled_from(TIERS), actions(), st.integers(1, 5))
def test_no_stage_lets_a_hard_rule_through(
    doc: dict[str, Any], tier: RiskTier, action: ProposedAction, stage: int
) -> None:
    policy = policy_with(doc, tier)
    verdict = evaluate(policy, action, EvaluationContext(), stage)
    hard = {
        "tier.irreversible",
        "amount.above_threshold",
        "amount.missing",
        "conflict.policy",
        "intent.ambiguous",
    }
    asked = [r.mode for r in verdict.reasons if r.id in hard and r.mode is not None]
    assert all(MODE_ORDER[verdict.mode] >= MODE_ORDER[m] for m in asked)
    assert [r.id for r in verdict.reasons if r.id in hard] == [
        r.id for r in evaluate(policy, action, EvaluationContext(), 3).reasons if r.id in hard
    ]
