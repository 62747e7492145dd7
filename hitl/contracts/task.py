"""What a service sends to start an agent task, and what the task returns."""

from enum import StrEnum
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.carry import ContinuePolicy, TaskCarry
from hitl.contracts.review import AppliedDecision, Refusal
from hitl.contracts.steps import StepOutcome, StepStatus
from hitl.contracts.text import TEXT_MAX, LongName, Name, Text, excerpt

__all__ = ["AgentTaskInput", "GatedInput", "StepOutcome", "StepStatus", "TaskResult", "TaskStatus"]


class RequesterProof(Contract):
    """Evidence that the requester asked for exactly this task: an Ed25519 signature by a key
    pinned for the requester in the policy's `[identity.keys]`.

    It covers the canonical bytes of `policies.requester_proof.start_bytes`: the namespace,
    workflow id and type, the requester and task kind, the digest of the input (without this
    proof) and the expiry. `hitl.client.sign_start` (and `hitl start`) make one.
    """

    namespace: str = Field(max_length=200)
    workflow_id: str = Field(max_length=200)
    workflow_type: str = Field(max_length=200)
    input_digest: str = Field(max_length=64)
    """SHA-256 (hex) of the canonical task input without `requester_proof`."""
    expires_at: int
    """Unix seconds after which the proof no longer starts a task (against the workflow's clock)."""
    key: str = Field(max_length=200)
    """The public key that signed (`ed25519:<base64url>`)."""
    signature: str = Field(max_length=200)
    """The signature over the canonical bytes, base64url."""


class GatedInput(Contract):
    """Base of every gated workflow's input: it says which task it is (`as_task()`)."""

    requester_proof: RequesterProof | None = None
    """Proof that the requester started this task (docs/identity.md); without one the requester
    is only asserted. The policy's `[identity] require_verified_requester` says whether it must."""

    def as_task(self) -> "AgentTaskInput":
        """The task this input starts: its id (also the workflow id), kind, requester, subject
        and policy."""
        raise NotImplementedError(f"{type(self).__name__} must define as_task()")


class AgentTaskInput(GatedInput):
    """Input of `AgentTaskWorkflow`: one task for one agent."""

    task_id: str = Field(min_length=1, max_length=200)
    """Business id of the task; also the workflow id."""
    kind: str = Field(min_length=1)
    """Task kind (for example `refund`): selects the agent and the autonomy track record."""
    requester: str = Field(min_length=1)
    """Principal who asked for the task; may never approve its own actions."""
    subject: dict[str, Any] = Field(default_factory=dict)
    """Domain data the agent works from (order id, customer message, ...)."""
    policy: str = "refund"
    """Name of the policy file (without `.toml`) that governs this task."""
    max_steps: int = Field(default=12, ge=1, le=5000)
    """Upper bound on agent steps, in total across continuations: a runaway agent ends as
    `failed`, not in a loop."""
    continue_policy: ContinuePolicy = Field(default_factory=ContinuePolicy)
    """History thresholds past which the task continues as new (a fresh run, same workflow id)."""
    carry: TaskCarry | None = None
    """Set by the task itself when it continues as new: what the next run takes over."""

    def as_task(self) -> "AgentTaskInput":
        """An agent task is its own task."""
        return self


class TaskStatus(StrEnum):
    """Final status of a task."""

    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    COMPENSATED = "compensated"
    ABORTED = "aborted"


class DecisionAnswer(Contract):
    """What a finished task did with one decision that named a `decision_id`."""

    decision_id: LongName
    request_id: LongName | None = None
    accepted: bool
    reviewer: LongName | None = None
    """Who the decision named, so a report can tell it from another decision sent with the same id."""
    outcome: Name = ""
    """The applied decision's outcome (empty for a refusal)."""
    code: LongName = ""
    """The refusal's code when not accepted."""
    message: Text = ""


class TaskResult(Contract):
    """Result of `AgentTaskWorkflow`."""

    task_id: str
    status: TaskStatus
    steps: list[StepOutcome] = Field(default_factory=list)
    reason: str = ""
    """Why the task ended this way, in one sentence (rejection comment, failure, ...)."""
    message: str = ""
    """The agent's closing message, written after it saw how its last step ended."""
    code: str = ""
    """Stable code when the task was refused before any step (e.g. `unverified_requester`)."""
    answers: list[DecisionAnswer] = Field(default_factory=list)
    """Each decision with a `decision_id` the task applied or refused (the refusals it kept), so
    a batch report reads a finished task's answer from its result, with no query to a worker."""


def answers_of(decisions: list[AppliedDecision], refusals: list[Refusal]) -> list[DecisionAnswer]:
    """The decisions with an id that a gate applied or refused (its result, a batch report); every
    value cut to what the result's contract holds (`excerpt`), so no sender's text can fail it."""
    applied = [
        DecisionAnswer(
            decision_id=excerpt(d.decision.decision_id),
            request_id=excerpt(d.request_id),
            accepted=True,
            reviewer=excerpt(d.decision.reviewer),
            outcome=excerpt(d.decision.outcome.value),
        )
        for d in decisions
        if d.decision.decision_id is not None
    ]
    refused = [
        DecisionAnswer(
            decision_id=excerpt(r.decision_id),
            request_id=excerpt(r.request_id) if r.request_id is not None else None,
            accepted=False,
            reviewer=excerpt(r.reviewer) if r.reviewer is not None else None,
            code=excerpt(r.code),
            message=excerpt(r.message, TEXT_MAX),
        )
        for r in refusals
        if r.decision_id is not None
    ]
    return applied + refused
