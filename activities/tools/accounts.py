"""Account tools: find a customer's account and delete it (erase the personal data on its orders).

A deletion cannot be undone, so it has no undo and the policy sends it to a director. It is
idempotent on the workflow's key: the erased address is derived from the key, so a retried
attempt finds its own earlier work and erases nothing twice.
"""

import hashlib

from pydantic import Field

from activities.tools.toolset import Toolbox, Toolset, tool
from hitl.contracts import ToolCall, ToolResult
from hitl.contracts.base import Contract

FIND_ACCOUNT = "find_account"
DELETE_ACCOUNT = "delete_account"

EMAIL = r"^[^@\s]+@[^@\s]+$"


class FindAccountArgs(Contract):
    """Find a customer's account by email."""

    customer_email: str = Field(pattern=EMAIL, max_length=254)


class DeleteAccountArgs(FindAccountArgs):
    """Delete a customer's account: erase their email from every order."""

    reason: str = Field(min_length=1, max_length=500)


class AccountTools(Toolset):
    """Tools of the account-deletion workflow, on the demo shop tables."""

    @tool(
        FIND_ACCOUNT,
        FindAccountArgs,
        "Read the customer's account (read-only).",
        binds={"customer_email": "customer_email"},
    )
    async def find_account(self, call: ToolCall[FindAccountArgs]) -> ToolResult:
        """Count the customer's orders."""
        email = call.args.customer_email
        orders = await self.pool.fetchval("SELECT count(*) FROM shop.orders WHERE customer_email = $1", email)
        return ToolResult(
            output={"customer_email": email, "orders": orders}, summary=f"{email}: {orders} orders"
        )

    @tool(
        DELETE_ACCOUNT,
        DeleteAccountArgs,
        "Delete the customer's account; it cannot be undone.",
        binds={"customer_email": "customer_email"},
    )
    async def delete_account(self, call: ToolCall[DeleteAccountArgs]) -> ToolResult:
        """Replace the customer's email on their orders with an erased marker, once per key."""
        erased = f"erased-{hashlib.sha256(call.key.encode()).hexdigest()[:16]}@invalid"
        status = await self.pool.execute(
            "UPDATE shop.orders SET customer_email = $2 WHERE customer_email = $1",
            call.args.customer_email,
            erased,
        )
        changed = int(status.split()[-1])
        orders = await self.pool.fetchval(
            "SELECT count(*) FROM shop.orders WHERE customer_email = $1", erased
        )
        return ToolResult(
            output={"orders_erased": orders},
            summary=f"account deleted: {orders} orders erased",
            replayed=changed == 0 and orders > 0,
        )


ACCOUNT_TOOLBOX = Toolbox.of(AccountTools)
"""The tools of an account deletion."""
