"""What a long agent task hands to its next run when it continues as new.

A task whose Temporal history grows past `ContinuePolicy`'s thresholds (or that the server
suggests continue) starts a new run of the same workflow id with its input plus a `TaskCarry`:
everything the gate, the audit log, compensation and the agent loop hold, so the new run goes on
exactly where the old one stopped (`workflows/carry.py` takes the snapshot and restores it).
"""

from typing import Any

from pydantic import Field

from hitl.contracts.actions import ProposedAction, StepRecord
from hitl.contracts.audit import AuditEvent, ChainHead, FeedbackRecord
from hitl.contracts.base import Contract
from hitl.contracts.review import AppliedDecision, Decision, DecisionReceipt, Outcome, Refusal, ReviewRequest
from hitl.contracts.steps import StepOutcome
from hitl.contracts.verdict import Verdict

DEFAULT_MAX_EVENTS = 10_000
"""Events per run before continuing: a fifth of Temporal's 51,200-event limit, so replaying one
run stays fast and a flood of signals has room to land while the task winds to a safe point."""
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""History bytes per run before continuing: a fifth of Temporal's 50 MB limit (the server
terminates a workflow there, with no `task_finished`)."""


class ContinuePolicy(Contract):
    """When a task continues as new (whichever comes first, or when the server suggests it)."""

    max_events: int = Field(default=DEFAULT_MAX_EVENTS, ge=1)
    """History events in one run."""
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1)
    """History bytes in one run."""


class CarriedStep(Contract):
    """An executed step, with what its undo needs (the tool's spec is found again by name)."""

    step: int
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)
    undone: bool = False


class CarriedRequest(Contract):
    """A review request and the gate's state of it. Deadlines are absolute, so SLA timers resume
    with the time that was left; closed requests travel without their card."""

    request: ReviewRequest
    fixed: list[str] = Field(default_factory=list)
    approvals: dict[str, Decision] = Field(default_factory=dict)
    principals: list[str] = Field(default_factory=list)
    outcome: Outcome | None = None
    patched_args: dict[str, Any] | None = None


class ParkedStep(Contract):
    """The step the task was waiting on at a gate when it continued: the new run waits on the same
    request and carries the step on from the decision."""

    request_id: str
    action: ProposedAction
    verdict: Verdict
    revision: int = 0
    would_be: Verdict | None = None
    """The policy's own verdict when the step is gated in shadow mode."""


class TaskCarry(Contract):
    """Everything a task's next run needs; set only by the task itself."""

    runs: list[str] = Field(default_factory=list)
    """Run ids of the earlier runs, oldest first: a decision proof bound to any of them counts."""
    history_length: int = 0
    """Events in the run that continued, at the switch."""
    history_bytes: int = 0
    """History bytes of the run that continued, at the switch."""
    reason: str = ""
    """Which threshold was passed (`events`, `bytes`, `suggested`)."""
    context: dict[str, Any] = Field(default_factory=dict)
    """The pinned task context (`policies.context.TaskContext`: policy content and hash, autonomy,
    novelty, calibration), as JSON: a policy edit never reaches a running task."""
    audit_seq: int = 0
    """The last audit sequence number used: event keys stay unique and ordered across runs."""
    audit_head: ChainHead | None = None
    audit_backlog: list[AuditEvent] = Field(default_factory=list)
    """Events recorded but not yet written (written first by the next run, under their own keys)."""
    feedback_backlog: list[FeedbackRecord] = Field(default_factory=list)
    steps: list[StepOutcome] = Field(default_factory=list)
    history: list[StepRecord] = Field(default_factory=list)
    executed: list[CarriedStep] = Field(default_factory=list)
    """Executed steps in order: compensation undoes them in reverse, across runs."""
    next_step: int = 0
    """The agent loop's next step number (`max_steps` caps the total across runs)."""
    parked: ParkedStep | None = None
    requests: list[CarriedRequest] = Field(default_factory=list)
    decisions: list[AppliedDecision] = Field(default_factory=list)
    refusals: list[Refusal] = Field(default_factory=list)
    refusals_total: int = 0
    receipts: dict[str, DecisionReceipt] = Field(default_factory=dict)
    """Receipts by decision id: the same decision id is applied once across runs."""
    reviews: list[str] = Field(default_factory=list)
    """Request ids of post-hoc reviews still open (their steps are in `executed`)."""
