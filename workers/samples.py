"""The sample refund tasks the local stack starts: some finish alone, others wait for a human.

Every reviewer command the README shows has a task to act on: approvals within the support
leads' limit and above it, one for a batch, and a question (an ambiguous request the agent asks
about before it refunds).
"""

from decimal import Decimal
from typing import Any

from activities.tools.shop_seed import DemoOrder
from hitl.contracts import AgentTaskInput, ReviewRequest
from policies.model import Policy

DEMO_ORDERS = [
    DemoOrder(order_id="A-1001", customer_email="ana@example.com", total=Decimal("59.90")),
    DemoOrder(order_id="A-1002", customer_email="ben@example.com", total=Decimal("120.00")),
    DemoOrder(
        order_id="A-1003", customer_email="chen@example.com", total=Decimal("480.00"), customer_tier="gold"
    ),
    DemoOrder(order_id="A-1004", customer_email="dara@example.com", total=Decimal("2400.00")),
    DemoOrder(
        order_id="A-1005",
        customer_email="eli@example.com",
        total=Decimal("7800.00"),
        customer_tier="enterprise",
    ),
    DemoOrder(order_id="A-1006", customer_email="fay@example.com", total=Decimal("650.00")),
    DemoOrder(order_id="A-1007", customer_email="gus@example.com", total=Decimal("400.00")),
]

SAMPLE_TASKS: list[tuple[str, str, float, str, dict[str, Any]]] = [
    ("demo-refund-1", "A-1001", 35.0, "The item arrived broken.", {}),
    ("demo-refund-2", "A-1002", 80.0, "Charged twice for shipping.", {}),
    ("demo-refund-3", "A-1003", 250.0, "Wrong size, returned it last week.", {}),
    ("demo-refund-4", "A-1004", 1800.0, "The laptop never arrived.", {}),
    ("demo-refund-5", "A-1005", 4200.0, "Cancelled the annual plan within the trial.", {}),
    ("demo-refund-6", "A-1006", 650.0, "The espresso machine stopped after a week.", {"ambiguous": True}),
    ("demo-refund-7", "A-1007", 400.0, "The package arrived empty.", {}),
]
"""Task id, order, amount asked, the customer's message, more subject fields."""

SAMPLE_ANSWER = "a refund: the machine was returned"
"""What the printed command answers to the question of `demo-refund-6`."""


def sample_tasks() -> list[AgentTaskInput]:
    """The sample tasks, with stable ids so a restarted stack finds the same ones."""
    return [
        AgentTaskInput(
            task_id=task_id,
            kind="refund",
            requester="svc-support-bot",
            subject={"order_id": order_id, "amount": amount, "customer_message": message, **extra},
        )
        for task_id, order_id, amount, message, extra in SAMPLE_TASKS
    ]


def reviewer_for(request: ReviewRequest, policy: Policy) -> str | None:
    """A reviewer who may approve this request now (eligible tier, limit high enough)."""
    amount = request.verdict.required_limit or 0.0
    groups = [rung.group for rung in request.verdict.ladder[request.tier :]] or list(policy.reviewers)
    for group in groups:
        reviewers = policy.reviewers.get(group)
        if reviewers is None:
            continue
        if reviewers.approval_limit is None or reviewers.approval_limit >= amount:
            return reviewers.members[0]
    return None
