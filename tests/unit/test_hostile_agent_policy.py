"""A hostile agent against `evaluate()`: facts and claims generated independently (hypothesis).

- whatever the agent claims (tier, sentiment, novelty, amount, conflict, ambiguity, a question),
  the verdict is at least as strict as with no claims at all: a claim never loosens a verdict;
- a lying agent never gets a laxer verdict than an honest one on the same facts;
- calibration only ever lowers the confidence the bands see, and without enough record the
  confidence cannot take a high-risk write out of the gate;
- an action outside its task, above what is left, in another currency than the threshold, or
  crossing a budget never runs on its own, whatever is claimed.
"""

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hitl.contracts import Binding, BudgetUse, Facts, Mode, ProposedAction, RiskSignals, RiskTier
from hitl.contracts.report import CalibrationRow
from hitl.contracts.verdict import MODE_ORDER
from policies.calibration import BUCKETS, Calibration, CalibrationRules
from policies.evaluate import EvaluationContext, evaluate
from policies.model import Policy
from tests.unit.test_evaluate_properties import policies_for_refund

TIERS = list(RiskTier)
CUSTOMER_TIERS = [None, "gold", "standard", "enterprise"]
SENTIMENTS = [None, "hostile", "neutral", "frustrated"]
money = st.floats(min_value=0, max_value=1e6, allow_nan=False)
small = st.floats(min_value=0, max_value=100, allow_nan=False)
mostly = st.sampled_from([True, True, True, False])
"""Facts mostly vouch for the action, so that a claim that wrongly relaxed a verdict would show."""
stages = st.none() | st.integers(min_value=1, max_value=5)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    doc: dict[str, Any] = draw(policies_for_refund())
    tool = {
        **doc["tools"]["issue_refund"],
        "tier": draw(st.sampled_from(TIERS)).value,
        "currency_arg": "currency",
        "currency": draw(st.sampled_from([None, "USD"])),
        "outside_task": draw(st.sampled_from([None, "block", "approve"])),
    }
    doc["triggers"]["customer_tiers"] = draw(
        st.dictionaries(
            st.sampled_from(["gold", "enterprise", "standard"]), st.sampled_from(list(Mode)), max_size=3
        )
    )
    doc["triggers"]["sentiments"] = draw(
        st.dictionaries(st.sampled_from(["hostile", "frustrated"]), st.sampled_from(list(Mode)), max_size=2)
    )
    doc["budgets"] = {"per_task": {"tools": ["issue_refund"], "max_amount": 300, "max_count": 3}}
    doc["calibration"] = {"min_decisions": draw(st.sampled_from([0, 0, 20])), "min_bucket_decisions": 5}
    return Policy.model_validate({**doc, "tools": {"issue_refund": tool}})


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    return Facts(
        established=draw(mostly),
        customer_tier=draw(st.sampled_from(CUSTOMER_TIERS)),
        sentiment=draw(st.sampled_from(SENTIMENTS)),
        novel=draw(st.none() | st.booleans()),
        amount_left=draw(st.none() | money),
        # (amounts are drawn small below, so most actions fit what is left and their budgets)
        bindings=[
            Binding(
                arg="order_id", task_fact="order_id", expected="o1", actual="o1" if ok else "o2", holds=ok
            )
            for ok in draw(st.lists(mostly, max_size=2))
        ],
        budgets=[
            BudgetUse(
                budget="per_task",
                scope="task t",
                max_amount=300,
                max_count=3,
                spent_amount=draw(small),
                spent_count=draw(st.integers(0, 5)),
                amount=draw(small),
                known=draw(mostly),
            )
            for _ in range(draw(st.integers(0, 1)))
        ],
    )


@st.composite
def claims(draw: st.DrawFn) -> tuple[RiskSignals, str | None]:
    signals = RiskSignals(
        amount=draw(st.none() | money),
        currency=draw(st.sampled_from([None, "USD", "KWD"])),
        customer_tier=draw(st.sampled_from(CUSTOMER_TIERS)),
        sentiment=draw(st.sampled_from(SENTIMENTS)),
        novelty=draw(st.booleans()),
        ambiguous_intent=draw(st.booleans()),
        policy_conflict=draw(st.booleans()),
    )
    return signals, draw(st.none() | st.just("refund or replace?"))


@st.composite
def actions(draw: st.DrawFn) -> ProposedAction:
    return ProposedAction(
        tool="issue_refund",
        args={
            "order_id": "o1",
            "amount": draw(small | money),
            "currency": draw(st.sampled_from(["USD", "USD", "KWD"])),
        },
        confidence=draw(st.floats(min_value=0, max_value=1, allow_nan=False)),
    )


@st.composite
def calibrations(draw: st.DrawFn) -> dict[str, Calibration]:
    rows = []
    for low, high in BUCKETS:
        n = draw(st.integers(0, 30))
        ok = draw(st.integers(0, n))
        rows.append(
            CalibrationRow(
                low=low, high=high, decisions=n, approved_unchanged=ok, share=ok / n if n else None
            )
        )
    table = Calibration(action_type="issue_refund", decisions=sum(r.decisions for r in rows), buckets=rows)
    return draw(st.sampled_from([{}, {"issue_refund": table}]))


@dataclass(frozen=True)
class Case:
    """One generated situation: a policy, an action, the facts and the agent's claims, drawn apart."""

    policy: Policy
    action: ProposedAction
    facts: Facts
    claims: tuple[RiskSignals, str | None]
    stage: int | None
    calibration: dict[str, Calibration]

    def strictness(self, action: ProposedAction | None = None, policy: Policy | None = None) -> int:
        """How strict the verdict on `action` (default: the silent action) is under this case."""
        context = EvaluationContext(task_kind="refund", calibration=self.calibration)
        verdict = evaluate(policy or self.policy, action or self.action, context, self.stage, self.facts)
        return MODE_ORDER[verdict.mode]

    def claiming(self, claimed: tuple[RiskSignals, str | None] | None = None) -> ProposedAction:
        """The action with the agent's claims (default: this case's)."""
        signals, question = claimed or self.claims
        return self.action.model_copy(update={"signals": signals, "question": question})


cases = st.builds(Case, policies(), actions(), facts(), claims(), stages, calibrations())


@settings(max_examples=400, deadline=None)
@given(cases)
def test_hostile_agent_claims_never_loosen_a_verdict(case: Case) -> None:
    assert case.strictness(case.claiming()) >= case.strictness()


@settings(max_examples=300, deadline=None)
@given(cases)
def test_hostile_agent_lying_about_the_facts_never_beats_telling_the_truth(case: Case) -> None:
    known = case.facts
    truth = RiskSignals(
        customer_tier=known.customer_tier, sentiment=known.sentiment, novelty=bool(known.novel)
    )
    assert case.strictness(case.claiming()) >= case.strictness(case.claiming((truth, None)))


@settings(max_examples=300, deadline=None)
@given(cases)
def test_hostile_agent_confidence_is_only_ever_lowered_by_calibration(case: Case) -> None:
    trusting = case.policy.model_copy(update={"calibration": CalibrationRules(min_decisions=0)})
    assert case.strictness() >= replace(case, calibration={}).strictness(policy=trusting)


@settings(max_examples=300, deadline=None)
@given(cases)
def test_hostile_agent_confidence_cannot_take_an_uncalibrated_high_risk_write_out_of_the_gate(
    case: Case,
) -> None:
    high = case.policy.tools["issue_refund"].model_copy(update={"tier": RiskTier.HIGH})
    strict = case.policy.model_copy(
        update={"tools": {"issue_refund": high}, "calibration": CalibrationRules()}
    )
    confident = case.claiming().model_copy(update={"confidence": 1.0})
    assert replace(case, calibration={}).strictness(confident, strict) >= MODE_ORDER[Mode.APPROVE]


@settings(max_examples=300, deadline=None)
@given(cases)
def test_hostile_agent_outside_its_task_over_budget_or_over_what_is_left_never_runs_alone(case: Case) -> None:
    known, args = case.facts, case.action.args
    rule = case.policy.tools["issue_refund"]
    if (
        not known.established
        or known.failed_bindings()
        or any(use.crossed for use in known.budgets)
        or (known.amount_left is not None and float(args["amount"]) > known.amount_left + 1e-9)
        or (
            rule.currency is not None and rule.approve_above is not None and args["currency"] != rule.currency
        )
    ):
        assert case.strictness(case.claiming()) >= MODE_ORDER[Mode.APPROVE]
