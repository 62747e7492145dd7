"""The refund domain's facts: the task's order (customer, tier, currency, what is left to refund)
and the refunds issued per customer or order, from the demo shop tables."""

from decimal import Decimal
from typing import Any

import asyncpg

from activities.facts.sources import SubjectRecord
from activities.tools.refund import ISSUE_REFUND
from policies.budgets import Budget, Spend

ORDER = """
SELECT o.order_id, o.customer_email, o.customer_tier, o.total, o.currency, o.ticket_id,
       coalesce((SELECT sum(amount) FROM shop.refunds r WHERE r.order_id = o.order_id
                 AND r.status = 'issued'), 0) AS refunded
FROM shop.orders o WHERE o.order_id = $1
"""

REFUNDS = """
SELECT coalesce(sum(r.amount), 0) AS amount, count(*) AS n
FROM shop.refunds r JOIN shop.orders o USING (order_id)
WHERE r.status = 'issued'
  AND CASE WHEN $1::text = 'order_id' THEN o.order_id ELSE o.customer_email END = $2
  AND ($3::text IS NULL OR r.currency = $3)
  AND ($4::double precision IS NULL OR r.issued_at > now() - make_interval(secs => $4))
"""
"""Refunds still issued (not reversed) on the scope's orders, in the budget's currency and window."""

CUSTOMER_SCOPES = ("customer", "customer_email")


class ShopOrders:
    """Facts of refund tasks, whose subject names an `order_id`."""

    async def record(self, conn: asyncpg.Connection, subject: dict[str, Any]) -> SubjectRecord | None:
        """The order the subject names, with its customer and what is left to refund."""
        order_id = subject.get("order_id")
        if not isinstance(order_id, str) or not order_id:
            return None
        row = await conn.fetchrow(ORDER, order_id)
        if row is None:
            return None
        left = Decimal(row["total"]) - Decimal(row["refunded"])
        return SubjectRecord(
            name=f"order {row['order_id']} (shop.orders)",
            fields={
                "order_id": row["order_id"],
                "customer": row["customer_email"],
                "customer_email": row["customer_email"],
                "customer_tier": row["customer_tier"],
                "currency": row["currency"],
                "ticket_id": row["ticket_id"],
            },
            customer=row["customer_email"],
            customer_tier=row["customer_tier"],
            amount_left=float(left),
        )

    async def spent(self, conn: asyncpg.Connection, budget: Budget, scope: str, value: Any) -> Spend | None:
        """Refunds per customer or per order; nothing else is counted here."""
        if set(budget.tools) != {ISSUE_REFUND} or scope not in (*CUSTOMER_SCOPES, "order_id"):
            return None
        window = float(budget.window) if budget.window is not None else None
        row = await conn.fetchrow(REFUNDS, scope, str(value), budget.currency, window)
        return Spend(amount=float(row["amount"]), count=int(row["n"]))
