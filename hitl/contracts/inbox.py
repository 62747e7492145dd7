"""What `hitl inbox` asks the review queue for, and what it shows per open request."""

from datetime import datetime

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.review import ReviewRequest


class InboxFilter(Contract):
    """Filters of the review queue; each set field narrows it (they combine with AND)."""

    group: str | None = None
    """Only requests this reviewer group may decide now (`HitlAssignees`)."""
    tier: int | None = Field(default=None, ge=0)
    """Only requests at this rung of their ladder (`HitlTier`, 0 is the first)."""
    risk: str | None = None
    """Only this risk tier (`HitlRiskTier`: `low_risk_write`, `high_risk_write`, ...)."""
    action: str | None = None
    """Only this tool (`HitlActionType`, for example `issue_refund`)."""
    overdue: bool = False
    """Only requests whose SLA deadline has passed."""
    limit: int = Field(default=100, ge=1, le=1000)
    """At most this many workflows are read."""


QUEUE_MEMO = "hitl_queue"
"""Memo key under which a waiting task lists its open requests (a list of `QueueItem`)."""


class QueueItem(Contract):
    """One open request as its task publishes it in its memo: what the inbox shows, read with
    the visibility listing instead of a query to the task's worker."""

    request_id: str
    kind: str
    summary: str
    tool: str
    risk_tier: str
    tier: int
    assignees: list[str] = Field(default_factory=list)
    amount: float | None = None
    deadline: datetime | None = None
    confidence: float | None = None
    """The agent's confidence in the action; None when the task could not be read."""
    ui_url: str = ""
    quorum: int = 1
    """Approvals the request needs (a two-person rule ranks above a single approval)."""

    @classmethod
    def of(cls, request: ReviewRequest) -> "QueueItem":
        """The queue's view of an open request."""
        return cls(
            request_id=request.request_id,
            kind=request.kind.value,
            summary=request.action.summary or request.action.tool,
            tool=request.action.tool,
            risk_tier=request.verdict.risk_tier.value,
            tier=request.tier,
            assignees=request.assignees,
            amount=request.verdict.required_limit,
            deadline=request.deadline,
            confidence=request.action.confidence,
            ui_url=request.ui_url,
            quorum=request.verdict.quorum,
        )


class InboxEntry(QueueItem):
    """One open review request in the queue: its task's item, ranked."""

    workflow_id: str
    priority: float
    """`hitl.review.queue.priority` of the risk tier, confidence and quorum; higher is more urgent."""
    overdue: bool = False
