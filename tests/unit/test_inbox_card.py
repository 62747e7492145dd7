"""The inbox's card shows the facts the system established apart from the agent's claims."""

from datetime import UTC, datetime

from hitl.contracts import Outcome, ProposedAction, RequestKind, ReviewRequest, Verdict
from hitl.contracts.actions import RiskSignals
from hitl.contracts.facts import Binding, Facts
from hitl.contracts.verdict import Mode, RiskTier
from hitl.inbox.cards import facts


def test_facts_first_then_the_agents_claims() -> None:
    established = Facts(
        established=True,
        record="order A-1 (shop.orders)",
        customer="kim@example.com",
        amount=250.0,
        currency="USD",
        bindings=[Binding(arg="order_id", task_fact="order_id", expected="A-1", actual="A-1", holds=True)],
    )
    request = ReviewRequest(
        request_id="approval-1",
        kind=RequestKind.APPROVAL,
        action=ProposedAction(
            tool="issue_refund",
            confidence=0.8,
            signals=RiskSignals(amount=250.0, currency="USD", customer_tier="gold"),
        ),
        verdict=Verdict(mode=Mode.APPROVE, risk_tier=RiskTier.HIGH, required_limit=250.0, facts=established),
        card="",
        allowed_outcomes=[Outcome.APPROVE],
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        deadline=None,
    )
    assert facts(request) == [
        ("approval limit needed", "250"),
        ("record", "order A-1 (shop.orders)"),
        ("customer", "kim@example.com"),
        ("amount", "250 USD"),
        ("bound", "order_id = 'A-1' is the task's order_id"),
        ("confidence (agent's claim)", "0.8"),
        ("amount (agent's claim)", "250 USD"),
        ("customer tier (agent's claim)", "gold"),
    ]
