"""What the feedback export and the KPI report return."""

from datetime import datetime
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class FeedbackFilter(Contract):
    """Which feedback rows to read."""

    since: datetime | None = None
    task_kind: str | None = None
    action_type: str | None = None
    request_kind: str | None = None
    include_fallbacks: bool = True
    """Include requests settled by a timeout (nobody decided) as well as human decisions."""


class FeedbackExample(Contract):
    """One exported feedback line: the proposal, the human decision, and the difference."""

    feedback_key: str
    task_id: str
    task_kind: str
    request_id: str
    request_kind: str
    step: int
    action_type: str
    summary: str | None = None
    """The agent's one-line summary of the proposed action."""
    rationale: str | None = None
    """The agent's reasoning for it."""
    sources: list[Any] = Field(default_factory=list)
    confidence: float
    proposed_args: dict[str, Any]
    final_args: dict[str, Any] | None = None
    changed: dict[str, list[Any]] = Field(default_factory=dict)
    """Arguments a reviewer changed: `{name: [proposed, final]}`."""
    outcome: str
    reason_code: str | None = None
    reason: str = ""
    """The meaning of `reason_code` in the taxonomy."""
    comment: str = ""
    reviewers: list[str]
    by_fallback: bool
    escalations: int
    opened_at: datetime
    decided_at: datetime
    seconds_to_decision: float
    policy_hash: str = ""
