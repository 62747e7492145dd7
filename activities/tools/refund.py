"""The refund domain's tools (the demo), acting on the demo shop tables in PostgreSQL.

`issue_refund` is the money-moving side effect: it is idempotent on the workflow's key (a
retried activity never refunds twice) and refuses, permanently, a refund larger than what is
left on the order or in another currency than the order's.
"""

from decimal import Decimal

import asyncpg
from pydantic import Field
from temporalio.exceptions import ApplicationError

from activities.tools.toolset import Toolbox, Toolset, tool, undo
from hitl.contracts import ToolCall, ToolResult, UndoCall
from hitl.contracts.base import Contract
from hitl.errors import TOOL_INVALID_ARGS, TOOL_NOT_FOUND

LOOKUP_ORDER = "lookup_order"
ISSUE_REFUND = "issue_refund"
EMAIL_CUSTOMER = "email_customer"
CLOSE_TICKET = "close_ticket"


class LookupOrderArgs(Contract):
    """Read an order and its refund history."""

    order_id: str = Field(min_length=1)


class IssueRefundArgs(Contract):
    """Refund part or all of an order."""

    order_id: str = Field(min_length=1)
    amount: float = Field(gt=0, le=1_000_000)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    reason: str = ""


class EmailCustomerArgs(Contract):
    """Send the customer an email about their order."""

    order_id: str = Field(min_length=1)
    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)


class CloseTicketArgs(Contract):
    """Close the support ticket with a resolution note."""

    ticket_id: str = Field(min_length=1)
    resolution: str = ""


class RefundTools(Toolset):
    """Tools of the refund agent."""

    @tool(LOOKUP_ORDER, LookupOrderArgs, "Read the task's order (read-only).", binds={"order_id": "order_id"})
    async def lookup_order(self, call: ToolCall[LookupOrderArgs]) -> ToolResult:
        """Read an order and how much of it was refunded already."""
        async with self.pool.acquire() as conn:
            order = await conn.fetchrow("SELECT * FROM shop.orders WHERE order_id = $1", call.args.order_id)
            if order is None:
                raise ApplicationError(
                    f"no order {call.args.order_id!r}", type=TOOL_NOT_FOUND, non_retryable=True
                )
            refunded = await _refunded(conn, call.args.order_id)
        output = {
            "order_id": order["order_id"],
            "customer_email": order["customer_email"],
            "customer_tier": order["customer_tier"],
            "total": float(order["total"]),
            "currency": order["currency"],
            "ticket_id": order["ticket_id"],
            "refunded": float(refunded),
        }
        return ToolResult(
            output=output,
            summary=f"order {order['order_id']}: {order['total']} {order['currency']}, refunded {refunded}",
        )

    @undo("reverse_refund")
    async def reverse_refund(self, call: UndoCall[IssueRefundArgs]) -> ToolResult:
        """Reverse the refund issued under this key (no effect if already reversed)."""
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE shop.refunds SET status = 'reversed', reversed_at = now()"
                " WHERE idempotency_key = $1 AND status = 'issued'",
                call.key,
            )
        reversed_now = status.endswith(" 1")
        return ToolResult(
            output={"reversed": True},
            summary=f"refund {call.key} reversed",
            replayed=not reversed_now,
        )

    @tool(
        ISSUE_REFUND,
        IssueRefundArgs,
        "Refund money on the task's order, in its currency; undone by reversing the refund.",
        undo=reverse_refund,
        binds={"order_id": "order_id", "currency": "currency"},
        fixed={"order_id", "currency"},
    )
    async def issue_refund(self, call: ToolCall[IssueRefundArgs]) -> ToolResult:
        """Refund once per key; a retry returns the refund issued the first time."""
        args = call.args
        async with self.pool.acquire() as conn, conn.transaction():
            existing = await conn.fetchrow("SELECT * FROM shop.refunds WHERE idempotency_key = $1", call.key)
            if existing is not None:
                return _refund_result(existing, replayed=True)
            order = await conn.fetchrow(
                "SELECT total, currency FROM shop.orders WHERE order_id = $1 FOR UPDATE",
                args.order_id,
            )
            if order is None:
                raise ApplicationError(f"no order {args.order_id!r}", type=TOOL_NOT_FOUND, non_retryable=True)
            if args.currency != order["currency"]:
                raise ApplicationError(
                    f"refund in {args.currency} on order {args.order_id}, which was paid in {order['currency']}",
                    type=TOOL_INVALID_ARGS,
                    non_retryable=True,
                )
            left = order["total"] - await _refunded(conn, args.order_id)
            amount = Decimal(str(args.amount)).quantize(Decimal("0.01"))
            if amount > left:
                raise ApplicationError(
                    f"refund {amount} exceeds the {left} left on order {args.order_id}",
                    type=TOOL_INVALID_ARGS,
                    non_retryable=True,
                )
            row = await conn.fetchrow(
                "INSERT INTO shop.refunds (idempotency_key, order_id, amount, currency, reason)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING *",
                call.key,
                args.order_id,
                amount,
                args.currency,
                args.reason,
            )
        return _refund_result(row, replayed=False)

    @tool(
        EMAIL_CUSTOMER,
        EmailCustomerArgs,
        "Email the customer on file about the task's order; an email cannot be unsent.",
        binds={"order_id": "order_id", "to": "customer_email"},
        fixed={"order_id", "to"},
    )
    async def email_customer(self, call: ToolCall[EmailCustomerArgs]) -> ToolResult:
        """Send (record) the email once per key."""
        args = call.args
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                "INSERT INTO shop.emails (idempotency_key, order_id, recipient, subject, body)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
                call.key,
                args.order_id,
                args.to,
                args.subject,
                args.body,
            )
        return ToolResult(
            output={"to": args.to, "subject": args.subject},
            summary=f"emailed {args.to}: {args.subject}",
            replayed=not status.endswith(" 1"),
        )

    @undo("reopen_ticket")
    async def reopen_ticket(self, call: UndoCall[CloseTicketArgs]) -> ToolResult:
        """Reopen the ticket a compensated task had closed."""
        await self._set_ticket(call.args.ticket_id, "open", f"reopened: {call.reason}")
        return ToolResult(
            output={"ticket_id": call.args.ticket_id, "status": "open"},
            summary=f"ticket {call.args.ticket_id} reopened",
        )

    @tool(
        CLOSE_TICKET,
        CloseTicketArgs,
        "Close the task's support ticket; undone by reopening it.",
        undo=reopen_ticket,
        binds={"ticket_id": "ticket_id"},
    )
    async def close_ticket(self, call: ToolCall[CloseTicketArgs]) -> ToolResult:
        """Close the ticket (closing a closed ticket changes nothing)."""
        await self._set_ticket(call.args.ticket_id, "closed", call.args.resolution)
        return ToolResult(
            output={"ticket_id": call.args.ticket_id, "status": "closed"},
            summary=f"ticket {call.args.ticket_id} closed",
        )

    async def _set_ticket(self, ticket_id: str, status: str, resolution: str) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO shop.tickets (ticket_id, status, resolution) VALUES ($1, $2, $3)"
                " ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status,"
                " resolution = EXCLUDED.resolution, updated_at = now()",
                ticket_id,
                status,
                resolution,
            )


async def _refunded(conn: asyncpg.Connection, order_id: str) -> Decimal:
    value = await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM shop.refunds WHERE order_id = $1 AND status = 'issued'",
        order_id,
    )
    return Decimal(value)


def _refund_result(row: asyncpg.Record, *, replayed: bool) -> ToolResult:
    return ToolResult(
        output={
            "order_id": row["order_id"],
            "amount": float(row["amount"]),
            "currency": row["currency"],
            "status": row["status"],
        },
        summary=f"refunded {row['amount']} {row['currency']} on {row['order_id']}",
        replayed=replayed,
    )


REFUND_TOOLBOX = Toolbox.of(RefundTools)
"""The tools a refund task offers its agent."""
