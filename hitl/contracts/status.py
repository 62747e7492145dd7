"""The `status` query's answer."""

from pydantic import Field

from hitl.contracts.audit import ChainHead
from hitl.contracts.base import Contract
from hitl.contracts.review import AppliedDecision, Refusal, ReviewRequest
from hitl.contracts.task import StepOutcome


class TaskStatusView(Contract):
    """Where a task stands: steps so far, open requests, decisions and refusals."""

    task_id: str
    phase: str
    """`running`, `waiting`, `executing`, or the final status once finished."""
    policy_hash: str = ""
    steps: list[StepOutcome] = Field(default_factory=list)
    open_requests: list[ReviewRequest] = Field(default_factory=list)
    decisions: list[AppliedDecision] = Field(default_factory=list)
    refusals: list[Refusal] = Field(default_factory=list)
    """The latest refusals, oldest first (at most 100; the audit trail has them all)."""
    refusals_total: int = 0
    """Every refusal since the task started."""
    audit_head: ChainHead | None = None
    """The evidence chain head this task's last audit write reached (from its history): hold the
    trail to it with `hitl audit verify --expect-head POS:HASH`."""
