"""`AccountDeletionWorkflow`: delete a customer's account once a director approves.

The README's recipe for a new gated workflow, followed exactly: this file, its tools
(`activities/tools/accounts.py`) and its policy (`policies/account_deletion.toml`).
All I/O happens in activities.
"""

from pydantic import Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tools.accounts import ACCOUNT_TOOLBOX, DELETE_ACCOUNT, FIND_ACCOUNT
    from hitl.contracts import AgentTaskInput, GatedInput, ProposedAction, RiskSignals, TaskResult

from workflows.gated import GatedWorkflow


class AccountDeletionInput(GatedInput):
    """Delete one customer's account."""

    request_id: str = Field(min_length=1, max_length=200)
    """Business id of the request; also the workflow id."""
    customer_email: str = Field(min_length=3, max_length=254)
    requester: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    policy: str = "account_deletion"

    def as_task(self) -> AgentTaskInput:
        """The request as a task of kind `account_deletion`."""
        return AgentTaskInput(
            task_id=self.request_id,
            kind="account_deletion",
            requester=self.requester,
            subject={"customer_email": self.customer_email},
            policy=self.policy,
        )


@workflow.defn(name="AccountDeletionWorkflow")
class AccountDeletionWorkflow(GatedWorkflow):
    """Finds the account, then deletes it after the approval its policy requires."""

    toolbox = ACCOUNT_TOOLBOX

    @workflow.run
    async def run(self, request: AccountDeletionInput) -> TaskResult:
        """Find, gate, delete."""
        return await self.run_task(request, self.delete(request))

    async def delete(self, request: AccountDeletionInput) -> str:
        """The workflow's own steps; returns the task's closing message."""
        email = {"customer_email": request.customer_email}
        found = await self.act(ProposedAction(tool=FIND_ACCOUNT, args=email, summary="Find the account"))
        if not found.output.get("orders"):
            return f"no account for {request.customer_email}"
        deleted = await self.act(
            ProposedAction(
                tool=DELETE_ACCOUNT,
                args={**email, "reason": request.reason},
                summary=f"Delete the account of {request.customer_email} ({found.output['orders']} orders)",
                rationale=request.reason,
                signals=RiskSignals(reversible=False),
            )
        )
        if deleted.status != "executed":
            return f"not deleted: {deleted.feedback}"
        return f"deleted: {deleted.output['orders_erased']} orders erased"
