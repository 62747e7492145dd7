"""What `hitl inbox` asks the review queue for, and what it shows per open request."""

from datetime import datetime

from pydantic import Field

from hitl.contracts.base import Contract


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


class InboxEntry(Contract):
    """One open review request in the queue."""

    workflow_id: str
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
    """The agent's confidence in the action; None when the workflow could not be queried."""
    priority: float
    """Risk weight times uncertainty (1 - confidence); higher is more urgent."""
    overdue: bool = False
    ui_url: str = ""
