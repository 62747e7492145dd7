"""The facts activity and the calibration a task pins, against the real PostgreSQL (no Temporal):
what the order record, the database's spend and the classifier establish, and that the agent's
arguments are checked against them."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from activities.facts.establish import FactActivities
from activities.facts.shop import ShopOrders
from activities.task_context import TaskContextActivities
from activities.tools.refund import REFUND_TOOLBOX
from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.contracts import Binding, BudgetUse, Facts
from policies.budgets import Budget, Spend
from policies.context import LoadTaskContextInput
from policies.facts import EstablishFactsInput
from tests.support import settings_for, unique

PER_CUSTOMER = Budget(
    tools=["issue_refund"], per="customer", window=86_400, max_amount=500, max_count=5, currency="USD"
)
PER_TASK = Budget(tools=["issue_refund"], per="task", max_amount=300, max_count=3, currency="USD")


async def order(
    pool: asyncpg.Pool, *, tier: str = "gold", total: str = "400", currency: str = "USD"
) -> DemoOrder:
    seeded = DemoOrder(
        order_id=unique("ord"),
        customer_email=f"{unique('cust')}@example.com",
        total=Decimal(total),
        customer_tier=tier,
        currency=currency,
    )
    await seed_orders(pool, [seeded])
    return seeded


async def refunded(
    pool: asyncpg.Pool, order_id: str, amount: str, *, status: str = "issued", age: int = 0
) -> None:
    await pool.execute(
        "INSERT INTO shop.refunds (idempotency_key, order_id, amount, currency, status, issued_at)"
        " VALUES ($1, $2, $3, 'USD', $4, now() - make_interval(hours => $5))",
        unique("key"),
        order_id,
        Decimal(amount),
        status,
        age,
    )


async def establish(
    pool: asyncpg.Pool, tool: str, args: dict[str, Any], kind: str = "refund", **fields: Any
) -> Facts:
    spec = REFUND_TOOLBOX.specs[tool]
    request = EstablishFactsInput(
        task_id="task-1",
        task_kind=kind,
        tool=tool,
        args=args,
        binds=spec.bindings,
        amount_arg="amount" if tool == "issue_refund" else None,
        currency_arg="currency" if tool == "issue_refund" else None,
        **fields,
    )
    return await FactActivities(pool, {kind: ShopOrders()}).establish_facts(request)


async def test_the_order_record_establishes_customer_tier_and_what_is_left(pool: asyncpg.Pool) -> None:
    mine = await order(pool)
    await refunded(pool, mine.order_id, "150")
    subject = {"order_id": mine.order_id, "customer_message": "I want my money back, you scammers"}
    facts = await establish(
        pool, "issue_refund", {"order_id": mine.order_id, "amount": 99.0, "currency": "USD"}, subject=subject
    )
    assert facts == Facts(
        established=True,
        record=f"order {mine.order_id} (shop.orders)",
        customer=mine.customer_email,
        customer_tier="gold",
        amount=99.0,
        currency="USD",
        amount_left=250.0,
        bindings=[
            Binding(arg="currency", task_fact="currency", expected="USD", actual="USD", holds=True),
            Binding(
                arg="order_id", task_fact="order_id", expected=mine.order_id, actual=mine.order_id, holds=True
            ),
        ],
        sentiment="hostile",
        sentiment_source="keywords",
    )


async def test_arguments_outside_the_task_do_not_bind(pool: asyncpg.Pool) -> None:
    mine, theirs = await order(pool), await order(pool)
    subject = {"order_id": mine.order_id}
    other = await establish(pool, "lookup_order", {"order_id": theirs.order_id}, subject=subject)
    assert other.failed_bindings() == [
        Binding(arg="order_id", task_fact="order_id", expected=mine.order_id, actual=theirs.order_id)
    ]
    mail = {"order_id": mine.order_id, "subject": "s", "body": "b"}
    attacker = await establish(
        pool, "email_customer", {**mail, "to": "eve@attacker.example"}, subject=subject
    )
    assert [b.arg for b in attacker.failed_bindings()] == ["to"]
    shouted = await establish(
        pool, "email_customer", {**mail, "to": f" {mine.customer_email.upper()}"}, subject=subject
    )
    assert shouted.failed_bindings() == []
    kwd = await establish(
        pool, "issue_refund", {"order_id": mine.order_id, "amount": 1.0, "currency": "KWD"}, subject=subject
    )
    assert [b.describe() for b in kwd.failed_bindings()] == [
        "currency = 'KWD' is not the task's currency ('USD')"
    ]


async def test_without_a_record_nothing_binds_and_the_problem_is_named(pool: asyncpg.Pool) -> None:
    facts = await establish(pool, "lookup_order", {"order_id": "nope"}, subject={"order_id": "nope"})
    assert (facts.record, facts.customer_tier, [b.holds for b in facts.bindings]) == ("", None, [True])
    assert facts.problems == ["no record on file for the task's subject {'order_id': 'nope'}"]
    unbound = await establish(
        pool,
        "email_customer",
        {"order_id": "nope", "to": "a@b.c", "subject": "s", "body": "b"},
        subject={"order_id": "nope"},
    )
    assert unbound.failed_bindings()[0].describe() == "to = 'a@b.c': the task has no customer_email on file"


async def test_budgets_count_the_task_and_the_customers_last_day_from_the_database(
    pool: asyncpg.Pool,
) -> None:
    mine = await order(pool, total="2000")
    sibling = await order(pool)
    await pool.execute(
        "UPDATE shop.orders SET customer_email = $1 WHERE order_id = $2",
        mine.customer_email,
        sibling.order_id,
    )
    await refunded(pool, mine.order_id, "120")
    await refunded(pool, sibling.order_id, "80")
    await refunded(pool, sibling.order_id, "300", status="reversed")
    await refunded(pool, mine.order_id, "400", age=30)
    facts = await establish(
        pool,
        "issue_refund",
        {"order_id": mine.order_id, "amount": 99.0, "currency": "USD"},
        subject={"order_id": mine.order_id},
        budgets={"per_customer": PER_CUSTOMER, "per_task": PER_TASK},
        task_spent={"per_task": Spend(amount=198.0, count=2)},
    )
    customer = BudgetUse(
        budget="per_customer",
        scope=f"customer {mine.customer_email}",
        window_seconds=86_400,
        currency="USD",
        max_amount=500,
        max_count=5,
        spent_amount=200.0,
        spent_count=2,
        amount=99.0,
    )
    task = BudgetUse(
        budget="per_task",
        scope="task task-1",
        currency="USD",
        max_amount=300,
        max_count=3,
        spent_amount=198.0,
        spent_count=2,
        amount=99.0,
    )
    assert facts.budgets == [customer, task]
    assert [u.crossed for u in facts.budgets] == [False, False]
    kwd = await establish(
        pool,
        "issue_refund",
        {"order_id": mine.order_id, "amount": 99.0, "currency": "KWD"},
        subject={"order_id": mine.order_id},
        budgets={"per_customer": PER_CUSTOMER},
    )
    assert [(u.known, u.crossed) for u in kwd.budgets] == [(False, True)]


async def test_novelty_is_read_from_the_feedback_store(pool: asyncpg.Pool) -> None:
    mine = await order(pool)
    args, subject = {"order_id": mine.order_id}, {"order_id": mine.order_id}
    kind = unique("kind")
    assert (
        await establish(pool, "lookup_order", args, kind, subject=subject, novelty_subject=[])
    ).novel is True
    await pool.execute(
        "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)"
        " VALUES ($1, $1, $1, 1, 'task_started', 'svc', now(), $2::jsonb)",
        unique("precedent"),
        {"kind": kind, "subject": {}},
    )
    await pool.execute(
        "INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,"
        " proposed_args, confidence, reviewers, opened_at, decided_at, seconds_to_decision)"
        " SELECT task_id, task_id, $1, 'approval-1', 1, 'lookup_order', 'approve', '{}', 0.9, ARRAY['alice'],"
        " now(), now(), 1 FROM audit_events WHERE data->>'kind' = $1",
        kind,
    )
    assert (
        await establish(pool, "lookup_order", args, kind, subject=subject, novelty_subject=[])
    ).novel is False
    assert (await establish(pool, "lookup_order", args, kind, subject=subject)).novel is None


async def test_a_task_pins_the_calibration_of_its_action_types(pool: asyncpg.Pool, tmp_path: Path) -> None:
    kind = unique("kind")
    for confidence, outcome in [(0.95, "approve")] * 3 + [(0.93, "modify"), (0.55, "reject")]:
        await pool.execute(
            "INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,"
            " proposed_args, confidence, reviewers, opened_at, decided_at, seconds_to_decision)"
            " VALUES ($1, $1, $2, 'approval-1', 1, 'issue_refund', $3, '{}', $4, ARRAY['alice'], now(), now(), 1)",
            unique("fb"),
            kind,
            outcome,
            confidence,
        )
    activities = TaskContextActivities(settings_for(tmp_path, "q"), pool)
    context = await activities.load_task_context(
        LoadTaskContextInput(policy="refund", task_kind=kind, action_types=["issue_refund", "lookup_order"])
    )
    assert context.calibration == {}  # the test copy of the policy trusts claimed confidence
    (tmp_path / "policies" / "calibrated.toml").write_text(
        (tmp_path / "policies" / "refund.toml").read_text().replace("min_decisions = 0", "min_decisions = 5")
    )
    context = await activities.load_task_context(
        LoadTaskContextInput(
            policy="calibrated", task_kind=kind, action_types=["issue_refund", "lookup_order"]
        )
    )
    table = context.calibration["issue_refund"]
    assert (table.decisions, [(r.decisions, r.approved_unchanged) for r in table.buckets]) == (
        5,
        [(0, 0), (1, 0), (0, 0), (0, 0), (0, 0), (4, 3)],
    )
    assert context.calibration["lookup_order"].decisions == 0
