"""Review requests a gate opens, and the decisions reviewers send it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract
from hitl.contracts.verdict import Verdict


class RequestKind(StrEnum):
    """Why a gate asks a human."""

    APPROVAL = "approval"
    QUESTION = "question"
    INCIDENT = "incident"
    POST_REVIEW = "post_review"


class Outcome(StrEnum):
    """What a reviewer may decide."""

    APPROVE = "approve"
    MODIFY = "modify"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    ANSWER = "answer"
    REVERT = "revert"
    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"


class RequestState(StrEnum):
    """Lifecycle of a review request (transitions: `workflows.gate.lifecycle`)."""

    OPEN = "open"
    """Waiting for a decision while the current tier's SLA timer runs."""
    HOLDING = "holding"
    """Waiting for a decision with no timer (no ladder, or the `hold` fallback)."""
    DECIDED = "decided"
    TIMED_OUT = "timed_out"
    """Settled by the fallback when nobody decided in time."""
    CANCELLED = "cancelled"


class ReviewRequest(Contract):
    """An open question to humans, as the gate holds it."""

    request_id: str
    kind: RequestKind
    action: ProposedAction
    verdict: Verdict
    card: str
    """Markdown context card: what, why, sources, options, recommendation, rules, command."""
    ui_url: str = ""
    """Web UI address of the workflow that holds the request."""
    allowed_outcomes: list[Outcome]
    opened_at: datetime
    deadline: datetime | None
    """When the current tier's SLA ends; None while holding without a timer."""
    tier: int = 0
    """Index of the current rung of the escalation ladder."""
    assignees: list[str] = Field(default_factory=list)
    """Reviewer groups that may decide now."""
    approvals: list[str] = Field(default_factory=list)
    """Reviewers who approved so far (quorum progress)."""
    state: RequestState = RequestState.OPEN


class Decision(Contract):
    """A reviewer's decision, sent as the `decide` signal or update.

    Example (Temporal CLI):
    `temporal workflow signal -w refund-1 --name decide --input '{"outcome":"approve","reviewer":"alice"}'`
    """

    outcome: Outcome
    reviewer: str = Field(min_length=1)
    request_id: str | None = None
    """May be omitted when exactly one request is open."""
    reason_code: str | None = None
    comment: str = ""
    patch: dict[str, Any] | None = None
    """Argument changes for `modify`, merged over the proposed arguments."""
    answer: str | None = None
    """Reply to a question gate."""
    decision_id: str | None = None
    """Idempotency key: the same id twice is applied once."""
    signature: str | None = Field(default=None, max_length=8192)
    """Optional proof from the system the reviewer decided in (for example a JWS issued by an
    SSO-backed approval tool). The workflow does not verify it (no keys in workflow code); it is
    stored with the decision in the hash-chained audit trail, for whoever audits it later."""

    @model_validator(mode="after")
    def _fields_match_outcome(self) -> "Decision":
        if self.outcome is Outcome.MODIFY and not self.patch:
            raise ValueError("outcome 'modify' needs a non-empty 'patch'")
        if self.outcome is Outcome.ANSWER and not (self.answer or "").strip():
            raise ValueError("outcome 'answer' needs a non-empty 'answer'")
        return self


class Refusal(Contract):
    """A decision the gate did not apply, and why."""

    code: str
    """Stable machine-readable reason, for example `unknown_reviewer`."""
    message: str
    reviewer: str | None = None
    request_id: str | None = None
    decision_id: str | None = None
    via: str = "signal"
    at: datetime | None = None


class DecisionReceipt(Contract):
    """Answer to a decision sent as an update."""

    accepted: bool
    request_id: str | None = None
    decision_id: str | None = None
    duplicate: bool = False
    """True when this decision id was applied before; nothing changed."""
    message: str = ""


class AppliedDecision(Contract):
    """A decision the gate accepted, as the status query shows it."""

    request_id: str
    decision: Decision
    at: datetime
    via: str


class PendingResult(Contract):
    """Result of the `pending` query: open requests with their cards."""

    requests: list[ReviewRequest] = Field(default_factory=list)


class EmptyQuery(Contract):
    """Queries take no arguments; kept as a model so fields can be added."""


class GateResolution(Contract):
    """How a review request ended, as the gate hands it back to the workflow."""

    request_id: str
    outcome: Outcome
    decided_by: list[str] = Field(default_factory=list)
    """Reviewers whose decisions settled it; `system` when the fallback did."""
    decisions: list[Decision] = Field(default_factory=list)
    args: dict[str, Any] | None = None
    """Final arguments when a reviewer modified the action."""
    comment: str = ""
    answer: str | None = None
    reason_code: str | None = None
    by_fallback: bool = False
