"""`evaluate()` with facts and claims apart: facts relax, claims only tighten; currency, what is
left, bindings, budgets and calibration. No Temporal, no database."""

from typing import Any

from hitl.contracts import Binding, BudgetUse, Facts, FiredRule, Mode, ProposedAction, RiskSignals
from hitl.contracts.report import CalibrationRow
from policies.calibration import BUCKETS, Calibration, CalibrationRules
from policies.evaluate import EvaluationContext, evaluate
from tests.unit.test_evaluate import REFUND, SHIPPED

CTX = EvaluationContext(task_kind="refund")
ORDER = "order o1 (shop.orders)"
BOUND = Binding(arg="order_id", task_fact="order_id", expected="o1", actual="o1", holds=True)


def facts(**fields: Any) -> Facts:
    base: dict[str, Any] = {
        "established": True,
        "record": ORDER,
        "customer": "kim@example.com",
        "customer_tier": "standard",
        "amount_left": 500.0,
        "bindings": [BOUND],
    }
    return Facts.model_validate({**base, **fields})


def refund(
    amount: float = 40, currency: str = "USD", confidence: float = 0.95, **signals: Any
) -> ProposedAction:
    return ProposedAction(
        tool="issue_refund",
        args={"order_id": "o1", "amount": amount, "currency": currency},
        confidence=confidence,
        signals=RiskSignals(**signals),
    )


def ids(
    action: ProposedAction, known: Facts, policy: Any = REFUND, context: EvaluationContext = CTX
) -> tuple[Mode, list[str]]:
    verdict = evaluate(policy, action, context, None, known)
    return verdict.mode, [r.id for r in verdict.reasons]


def test_the_tier_on_file_decides_whatever_the_agent_leaves_out_or_says() -> None:
    enterprise = facts(customer_tier="enterprise")
    assert ids(refund(), enterprise)[0] is Mode.APPROVE  # tier omitted by the agent
    assert ids(refund(customer_tier="standard"), enterprise)[0] is Mode.APPROVE  # tier lied about
    assert ids(refund(customer_tier="enterprise"), facts()) == (
        Mode.APPROVE,
        ["amount.within_threshold", "confidence.high", "claim.customer_tier.enterprise"],
    )
    assert ids(refund(), facts(customer_tier=None))[1][-1] == "customer_tier.unknown"


def test_sentiment_comes_from_the_classifier_and_a_claim_only_adds() -> None:
    hostile = facts(sentiment="hostile", sentiment_source="keywords")
    verdict = evaluate(REFUND, refund(sentiment="neutral"), CTX, None, hostile)
    assert verdict.mode is Mode.APPROVE
    assert verdict.reasons[-1] == FiredRule(
        id="sentiment.hostile",
        text="customer sentiment 'hostile'",
        mode=Mode.APPROVE,
        source="fact",
        basis="sentiment = 'hostile' (keywords)",
    )
    assert (
        ids(refund(sentiment="frustrated"), facts(sentiment="neutral"))[1][-1] == "claim.sentiment.frustrated"
    )


def test_a_refund_in_another_currency_than_the_threshold_waits_for_a_human() -> None:
    assert ids(refund(100, "KWD"), facts()) == (
        Mode.APPROVE,
        ["amount.within_threshold", "amount.currency", "confidence.high"],
    )


def test_a_refund_above_what_is_left_on_the_order_is_blocked() -> None:
    mode, reasons = ids(refund(90), facts(amount_left=60.0))
    assert (mode, reasons[1]) == (Mode.BLOCK, "amount.over_left")


def test_an_argument_outside_its_task_is_blocked_with_the_binding_that_failed() -> None:
    other = Binding(arg="order_id", task_fact="order_id", expected="o1", actual="o2", holds=False)
    verdict = evaluate(REFUND, refund(), CTX, None, facts(bindings=[other]))
    assert verdict.mode is Mode.BLOCK
    assert verdict.reasons[1] == FiredRule(
        id="binding.order_id",
        text="outside its task: order_id = 'o2' is not the task's order_id ('o1') (blocked)",
        mode=Mode.BLOCK,
        source="fact",
        basis=ORDER,
    )


def test_where_the_policy_says_so_an_action_outside_its_task_is_gated_at_the_top_tier() -> None:
    gating = REFUND.model_copy(
        update={"triggers": REFUND.triggers.model_copy(update={"outside_task": Mode.APPROVE})}
    )
    other = Binding(arg="order_id", task_fact="order_id", expected="o1", actual="o2", holds=False)
    verdict = evaluate(gating, refund(), CTX, None, facts(bindings=[other]))
    assert (verdict.mode, [t.group for t in verdict.ladder]) == (Mode.APPROVE, ["directors"])


def test_the_action_that_would_cross_a_budget_is_gated_and_says_what_is_spent() -> None:
    within = BudgetUse(
        budget="refunds_per_task",
        scope="task t1",
        currency="USD",
        max_amount=300,
        max_count=3,
        spent_amount=198,
        spent_count=2,
        amount=99,
    )
    assert ids(refund(99), facts(budgets=[within]))[0] is Mode.AUTO
    crossing = within.model_copy(update={"spent_amount": 297.0, "spent_count": 3})
    verdict = evaluate(REFUND, refund(99), CTX, None, facts(budgets=[crossing]))
    assert verdict.mode is Mode.APPROVE
    assert verdict.reasons[1].text == (
        "this action would cross the budget: budget refunds_per_task (task t1): "
        "297 of 300 USD spent, this action 99; 3 of 3 actions"
    )
    unreadable = within.model_copy(update={"known": False})
    assert ids(refund(99), facts(budgets=[unreadable]))[1][1] == "budget.refunds_per_task"


def test_without_established_facts_nothing_relaxes_the_verdict() -> None:
    assert ids(refund(), Facts()) == (
        Mode.APPROVE,
        ["amount.within_threshold", "facts.missing", "confidence.high", "customer_tier.unknown"],
    )


def table(decisions: int, top_share: float | None, top_decisions: int) -> Calibration:
    rows = [
        CalibrationRow(low=lo, high=hi, decisions=0, approved_unchanged=0, share=None) for lo, hi in BUCKETS
    ]
    rows[-1] = rows[-1].model_copy(update={"decisions": top_decisions, "share": top_share})
    return Calibration(action_type="issue_refund", decisions=decisions, buckets=rows)


def test_uncalibrated_confidence_cannot_take_a_high_risk_write_out_of_the_gate() -> None:
    assert SHIPPED.calibration == CalibrationRules(min_decisions=20, min_bucket_decisions=5)
    assert ids(refund(confidence=0.99), facts(), SHIPPED) == (
        Mode.APPROVE,
        ["amount.within_threshold", "confidence.uncalibrated", "confidence.high"],
    )
    thin = EvaluationContext(calibration={"issue_refund": table(19, 1.0, 19)})
    assert ids(refund(confidence=0.99), facts(), SHIPPED, thin)[1][1] == "confidence.uncalibrated"
    empty_band = EvaluationContext(calibration={"issue_refund": table(40, None, 0)})
    assert ids(refund(confidence=0.99), facts(), SHIPPED, empty_band)[1][1] == "confidence.uncalibrated"
    # A low-risk write is not held by calibration: its claimed confidence counts.
    email = ProposedAction(tool="email_customer", args={}, confidence=0.99)
    assert ids(email, facts(), SHIPPED)[0] is Mode.AUTO


def test_calibration_lowers_an_overconfident_claim_and_never_raises_one() -> None:
    record = EvaluationContext(calibration={"issue_refund": table(30, 0.6, 30)})
    verdict = evaluate(SHIPPED, refund(confidence=0.99), record, None, facts())
    assert (verdict.mode, verdict.reasons[1]) == (
        Mode.APPROVE,
        FiredRule(
            id="confidence.low",
            text="confidence 0.6 (calibrated from 0.99) is below 0.7: a human decides",
            mode=Mode.APPROVE,
            source="fact",
            basis="confidence = 0.99, calibrated 0.6",
        ),
    )
    good = EvaluationContext(calibration={"issue_refund": table(30, 1.0, 30)})
    assert ids(refund(confidence=0.95), facts(), SHIPPED, good) == (
        Mode.AUTO,
        ["amount.within_threshold", "confidence.high"],
    )
