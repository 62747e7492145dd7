"""Demo orders for the refund domain (used by the local stack, tests and benchmarks)."""

from decimal import Decimal

import asyncpg
from pydantic import BaseModel


class DemoOrder(BaseModel):
    """An order the refund agent can look up."""

    order_id: str
    customer_email: str
    total: Decimal
    customer_tier: str = "standard"
    currency: str = "USD"
    ticket_id: str = ""


async def seed_orders(pool: asyncpg.Pool, orders: list[DemoOrder]) -> None:
    """Insert orders and their open tickets; existing ones are left as they are."""
    async with pool.acquire() as conn, conn.transaction():
        for o in orders:
            ticket = o.ticket_id or f"T-{o.order_id}"
            await conn.execute(
                "INSERT INTO shop.orders (order_id, customer_email, customer_tier, total, currency,"
                " ticket_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING",
                o.order_id,
                o.customer_email,
                o.customer_tier,
                o.total,
                o.currency,
                ticket,
            )
            await conn.execute(
                "INSERT INTO shop.tickets (ticket_id) VALUES ($1) ON CONFLICT DO NOTHING", ticket
            )
