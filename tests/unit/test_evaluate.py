"""`evaluate()` on the shipped refund policy and small variants: no Temporal, no database.

Most tests here judge with calibration off (`min_decisions = 0`: the claimed confidence counts as
it is) and with facts that vouch for the action (a standard customer, the task's order, nothing
spent); `tests/unit/test_evaluate_facts.py` covers facts, claims and calibration.
"""

from pathlib import Path
from typing import Any

import pytest

import policies
from hitl.contracts import Facts, FiredRule, Mode, ProposedAction, RiskSignals, RiskTier, Verdict
from policies.calibration import CalibrationRules
from policies.evaluate import EvaluationContext
from policies.evaluate import evaluate as evaluate_with_facts
from policies.model import Policy
from policies.parse import parse_policy

POLICY_DIR = Path(policies.__file__).parent
SHIPPED = parse_policy((POLICY_DIR / "refund.toml").read_text(), "refund.toml")
REFUND = SHIPPED.model_copy(update={"calibration": CalibrationRules(min_decisions=0)})
CONFIG = parse_policy((POLICY_DIR / "config_change.toml").read_text(), "config_change.toml")
CTX = EvaluationContext(task_kind="refund", policy_hash="h1")
FACTS = Facts(established=True, record="order o1", customer="kim@example.com", customer_tier="standard")
"""Facts that vouch for a refund: a standard customer, nothing else on record."""


def evaluate(
    policy: Policy, action: ProposedAction, context: EvaluationContext, stage: int | None = None
) -> Verdict:
    """`evaluate()` with `FACTS`."""
    return evaluate_with_facts(policy, action, context, stage, FACTS)


def refund(amount: float, confidence: float = 0.95, **signals: Any) -> ProposedAction:
    return ProposedAction(
        step=1,
        tool="issue_refund",
        args={"order_id": "o1", "amount": amount, "currency": "USD"},
        confidence=confidence,
        signals=RiskSignals(amount=amount, **signals),
    )


def ids(reasons: list[FiredRule]) -> list[str]:
    return [r.id for r in reasons]


def test_small_confident_refund_runs_alone_and_says_why() -> None:
    verdict = evaluate(REFUND, refund(40), CTX)
    assert verdict.mode is Mode.AUTO
    assert verdict.risk_tier is RiskTier.HIGH
    assert verdict.reasons == [
        FiredRule(
            id="amount.within_threshold",
            text="amount 40 is within the threshold 100",
            mode=Mode.AUTO,
            source="fact",
            basis="amount = 40",
        ),
        FiredRule(
            id="confidence.high",
            text="confidence 0.95 is above 0.9: execute and log",
            mode=Mode.AUTO,
            source="claim",
            basis="confidence = 0.95",
        ),
    ]
    assert verdict.facts == FACTS
    assert verdict.sample_rate == 0.0
    assert verdict.policy_hash == "h1"


@pytest.mark.parametrize(
    ("confidence", "mode", "band", "sample_rate"),
    [
        (0.91, Mode.AUTO, "confidence.high", 0.0),
        (0.9, Mode.AUTO_THEN_REVIEW, "confidence.medium", 1.0),
        (0.7, Mode.AUTO_THEN_REVIEW, "confidence.medium", 1.0),
        (0.69, Mode.APPROVE, "confidence.low", 0.0),
    ],
)
def test_confidence_bands_are_the_fields_defaults(
    confidence: float, mode: Mode, band: str, sample_rate: float
) -> None:
    verdict = evaluate(REFUND, refund(40, confidence), CTX)
    assert (verdict.mode, ids(verdict.reasons), verdict.sample_rate) == (
        mode,
        ["amount.within_threshold", band],
        sample_rate,
    )


def test_a_tool_can_set_its_own_bands() -> None:
    strict = REFUND.model_copy(
        update={
            "tools": {
                **REFUND.tools,
                "issue_refund": REFUND.tools["issue_refund"].model_copy(
                    update={"confidence": REFUND.confidence.model_copy(update={"auto_above": 0.99})}
                ),
            }
        }
    )
    assert evaluate(strict, refund(40, 0.95), CTX).mode is Mode.AUTO_THEN_REVIEW
    assert evaluate(REFUND, refund(40, 0.95), CTX).mode is Mode.AUTO


def test_large_refund_is_gated_on_the_refund_ladder_with_its_limit() -> None:
    verdict = evaluate(REFUND, refund(250), CTX)
    assert verdict.mode is Mode.APPROVE
    assert ids(verdict.reasons) == ["amount.above_threshold", "confidence.high"]
    assert [t.group for t in verdict.ladder] == ["support-leads", "managers", "directors"]
    assert verdict.required_limit == 250
    assert verdict.fallback.value == "reject"


def test_the_amount_argument_decides_never_the_agents_own_amount_signal() -> None:
    lowballed = refund(900).model_copy(update={"signals": RiskSignals(amount=5)})
    assert ids(evaluate(REFUND, lowballed, CTX).reasons)[0] == "amount.above_threshold"
    as_text = lowballed.model_copy(update={"args": {"order_id": "o1", "amount": "900"}})
    verdict = evaluate(REFUND, as_text, CTX)
    assert (verdict.mode, ids(verdict.reasons)[0]) == (Mode.APPROVE, "amount.missing")


def test_customer_tier_and_sentiment_triggers_fire_and_the_strictest_wins() -> None:
    gold = FACTS.model_copy(update={"customer_tier": "gold"})
    on_gold = evaluate_with_facts(REFUND, refund(40), CTX, None, gold)
    assert (on_gold.mode, ids(on_gold.reasons)) == (
        Mode.AUTO_THEN_REVIEW,
        ["amount.within_threshold", "confidence.high", "customer_tier.gold"],
    )
    hostile = gold.model_copy(update={"sentiment": "hostile", "sentiment_source": "keywords"})
    both = evaluate_with_facts(REFUND, refund(40), CTX, None, hostile)
    assert (both.mode, ids(both.reasons)) == (
        Mode.APPROVE,
        ["amount.within_threshold", "confidence.high", "customer_tier.gold", "sentiment.hostile"],
    )
    neutral = evaluate(REFUND, refund(40, customer_tier="standard", sentiment="neutral"), CTX)
    assert neutral.mode is Mode.AUTO


def test_policy_conflict_gates_and_ambiguity_asks() -> None:
    conflict = evaluate(REFUND, refund(40, policy_conflict=True), CTX)
    assert (conflict.mode, ids(conflict.reasons)) == (
        Mode.APPROVE,
        ["amount.within_threshold", "conflict.policy", "confidence.high"],
    )
    unclear = evaluate(REFUND, refund(250, 0.55, ambiguous_intent=True), CTX)
    assert (unclear.mode, ids(unclear.reasons)) == (
        Mode.CLARIFY,
        ["amount.above_threshold", "intent.ambiguous", "confidence.low"],
    )


def test_novelty_comes_from_the_context_and_the_agent_can_only_add_it() -> None:
    change = ProposedAction(step=0, tool="apply_config_change", args={"key": "k"}, confidence=0.95)
    known = evaluate(CONFIG, change, EvaluationContext(task_kind="config_change"))
    assert ids(known.reasons) == ["tier.high", "confidence.high"]
    novel_ctx = EvaluationContext(task_kind="config_change", novel_action_types=["apply_config_change"])
    novel = evaluate(CONFIG, change, novel_ctx)
    assert ids(novel.reasons) == ["tier.high", "confidence.high", "novelty.no_precedent"]
    flagged = change.model_copy(update={"signals": RiskSignals(novelty=True)})
    assert ids(evaluate(CONFIG, flagged, EvaluationContext()).reasons)[-1] == "claim.novelty"
    assert novel.quorum == 2


def test_read_only_actions_ignore_confidence_and_customer_triggers() -> None:
    lookup = ProposedAction(
        step=0, tool="lookup_order", confidence=0.2, signals=RiskSignals(sentiment="hostile")
    )
    verdict = evaluate(REFUND, lookup, CTX)
    assert (verdict.mode, ids(verdict.reasons)) == (Mode.AUTO, ["tier.read_only"])


def test_unknown_tool_is_blocked() -> None:
    verdict = evaluate(REFUND, ProposedAction(step=0, tool="wire_money"), CTX)
    assert (verdict.mode, ids(verdict.reasons)) == (Mode.BLOCK, ["tool.unknown"])


@pytest.mark.parametrize(
    ("stage", "mode", "extra"),
    [
        (1, Mode.APPROVE, ["autonomy.stage1"]),
        (2, Mode.AUTO_THEN_REVIEW, ["autonomy.stage2"]),
        (3, Mode.AUTO, []),
        (4, Mode.AUTO, []),
        (5, Mode.AUTO, []),
    ],
)
def test_stages_on_a_small_confident_refund(stage: int, mode: Mode, extra: list[str]) -> None:
    verdict = evaluate(REFUND, refund(40), CTX, stage)
    assert (verdict.mode, ids(verdict.reasons)) == (
        mode,
        ["amount.within_threshold", "confidence.high", *extra],
    )


@pytest.mark.parametrize(
    ("stage", "mode", "last"),
    [
        (3, Mode.APPROVE, "claim.sentiment.hostile"),
        (4, Mode.AUTO_THEN_REVIEW, "claim.sentiment.hostile"),
        (5, Mode.AUTO, "autonomy.stage5"),
    ],
)
def test_higher_stages_relax_soft_triggers_only(stage: int, mode: Mode, last: str) -> None:
    verdict = evaluate(REFUND, refund(40, 0.8, sentiment="hostile"), CTX, stage)
    assert (verdict.mode, ids(verdict.reasons)[-1]) == (mode, last)
    # The amount threshold is a hard rule: stage 5 still gates a large refund.
    assert evaluate(REFUND, refund(250, sentiment="hostile"), CTX, stage).mode is Mode.APPROVE


def test_stage_five_waives_sampled_reviews_stage_three_keeps_them() -> None:
    sampled = Policy.model_validate(
        {
            **REFUND.model_dump(),
            "tools": {
                **REFUND.model_dump()["tools"],
                "email_customer": {"tier": "low_risk_write", "review_sample_rate": 0.25},
            },
        }
    )
    email = ProposedAction(step=2, tool="email_customer", confidence=0.99)
    at_three = evaluate(sampled, email, CTX, 3)
    assert (at_three.mode, at_three.sample_rate, ids(at_three.reasons)[-1]) == (
        Mode.AUTO_THEN_REVIEW,
        0.25,
        "review.sampled",
    )
    assert evaluate(sampled, email, CTX, 5).mode is Mode.AUTO
