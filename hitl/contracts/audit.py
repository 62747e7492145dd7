"""Audit events as the workflow records them."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class AuditKind(StrEnum):
    """Every kind of event the audit trail holds."""

    TASK_STARTED = "task_started"
    PROPOSED = "proposed"
    VERDICT = "verdict"
    GATED = "gated"
    NOTIFIED = "notified"
    ESCALATED = "escalated"
    DECISION_ACCEPTED = "decision_accepted"
    DECISION_REFUSED = "decision_refused"
    REQUEST_WITHDRAWN = "request_withdrawn"
    """An open request closed without a decision because the task was cancelled."""
    EXECUTED = "executed"
    FAILED = "failed"
    COMPENSATED = "compensated"
    REVERTED = "reverted"
    FALLBACK = "fallback"
    AUTONOMY_CHANGED = "autonomy_changed"
    KEY_CONFLICT = "key_conflict"
    """An event or feedback key arrived again with different content; holds what arrived."""
    TASK_CONTINUED = "task_continued"
    """The task continued as new: a fresh run of the same workflow id took over (run ids and the
    history length and bytes at the switch)."""
    TASK_FINISHED = "task_finished"


class AuditEvent(Contract):
    """One audit event. `event_key` makes the write idempotent."""

    event_key: str
    """Deterministic key (workflow id, run id, sequence): a retried write inserts nothing."""
    task_id: str
    workflow_id: str
    seq: int
    kind: AuditKind
    actor: str
    """Who caused it: `agent`, `policy`, `system`, or a reviewer id."""
    occurred_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class FeedbackRecord(Contract):
    """One human decision as a training signal: what the agent proposed and what was decided."""

    feedback_key: str
    """Deterministic key (workflow id and request id): written once."""
    task_id: str
    task_kind: str
    request_id: str
    request_kind: str = "approval"
    """What the request asked: `approval`, `question`, `incident` or `post_review`."""
    step: int
    action_type: str
    outcome: str
    proposed_args: dict[str, Any]
    final_args: dict[str, Any] | None = None
    """Arguments that executed (None when nothing executed)."""
    reason_code: str | None = None
    """A code from `hitl.reason_codes` (the reviewer's), or `sla_fallback` / `window_closed`."""
    comment: str = ""
    confidence: float
    """The agent's confidence in the proposal, 0..1."""
    reviewers: list[str]
    by_fallback: bool = False
    escalations: int = 0
    opened_at: datetime
    decided_at: datetime
    policy_hash: str = ""
    verified: bool = False
    """Every decision that settled the request carried a verified proof (else: asserted)."""


class RecordEventsInput(Contract):
    """Input of the audit activity: events to append, in order, and feedback rows."""

    events: list[AuditEvent] = Field(default_factory=list)
    feedback: list[FeedbackRecord] = Field(default_factory=list)


class ChainHead(Contract):
    """A position of the evidence chain and the hash of its row there."""

    pos: int
    hash: str


class RecordEventsResult(Contract):
    """How many events were new (the rest were already recorded), and the chain head they reached."""

    inserted: int
    head: ChainHead | None = None
    """Position and hash of the newest row of this batch: once in workflow history, it is a witness
    outside the database that the chain held at least this far (`hitl audit verify --expect-head`)."""
    conflicts: int = 0
    """Keys of this batch found stored with different content (each recorded as `key_conflict`)."""
