"""Argument models of the customer-support refund tools (the demo domain)."""

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.tools.spec import ToolSpec


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


REFUND_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("lookup_order", LookupOrderArgs, "lookup_order", None, "Read an order (read-only)."),
    ToolSpec(
        "issue_refund",
        IssueRefundArgs,
        "issue_refund",
        "reverse_refund",
        "Refund money to the customer; undone by reversing the refund.",
        fixed=frozenset({"order_id", "currency"}),
    ),
    ToolSpec(
        "email_customer",
        EmailCustomerArgs,
        "email_customer",
        None,
        "Email the customer; an email cannot be unsent.",
        fixed=frozenset({"order_id", "to"}),
    ),
    ToolSpec(
        "close_ticket",
        CloseTicketArgs,
        "close_ticket",
        "reopen_ticket",
        "Close the support ticket; undone by reopening it.",
    ),
)
