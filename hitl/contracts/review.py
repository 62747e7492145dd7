"""Review requests a gate opens, and the decisions reviewers send it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract
from hitl.contracts.text import BoundedJson, LongName, Name, Text, Token
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
    action_digest: str = ""
    """SHA-256 of the canonical tool, step and arguments (`policies.proof.action_digest`): what a
    signed decision is bound to."""


class ProofType(StrEnum):
    """How a decision proves who made it."""

    ED25519 = "ed25519"
    """Signed by the reviewer's own key, pinned in the policy's `[identity.keys]`."""
    JWT = "jwt"
    """A token from an issuer pinned in the policy's `[identity.issuers]` (OIDC, a front end)."""


class ProofTarget(Contract):
    """One request a proof is bound to."""

    workflow_id: LongName
    run_id: Name
    request_id: Name
    action_digest: Name
    """SHA-256 of the canonical tool, step and arguments the card shows."""


class Proof(Contract):
    """Evidence that the named reviewer made exactly this decision on exactly these requests.

    It covers the canonical bytes of the decision (`policies.proof.decision_bytes`) bound to the
    namespace, the targets (one, or an explicit list for a batch) and the expiry; `hitl sign`
    and the `hitl` CLI make one.
    """

    type: ProofType
    namespace: Name
    targets: list[ProofTarget] = Field(min_length=1, max_length=1000)
    expires_at: int
    """Unix seconds after which the proof no longer counts (against the workflow's clock)."""
    key: Name | None = None
    """`ed25519`: the public key that signed (`ed25519:<base64url>`)."""
    signature: Name | None = None
    """`ed25519`: the signature over the canonical bytes, base64url."""
    token: Token | None = None
    """`jwt`: a compact JWT whose `hitl_decision` claim is the SHA-256 of the canonical bytes."""

    def target_in(self, workflow_id: str) -> ProofTarget | None:
        """The target naming this workflow, if any."""
        return next((t for t in self.targets if t.workflow_id == workflow_id), None)


class Decision(Contract):
    """A reviewer's decision, sent as the `decide` signal or update.

    Example (Temporal CLI):
    `temporal workflow signal -w refund-1 --name decide --input '{"outcome":"approve","reviewer":"alice"}'`

    Every text field is bounded and refuses control characters (`hitl.contracts.text`).
    """

    outcome: Outcome
    reviewer: Name = Field(min_length=1)
    request_id: Name | None = None
    """May be omitted when exactly one request is open."""
    reason_code: Name | None = None
    comment: Text = ""
    patch: BoundedJson = None
    """Argument changes for `modify`, merged over the proposed arguments."""
    answer: Text | None = None
    """Reply to a question gate."""
    decision_id: Name | None = None
    """Idempotency key: the same id twice is applied once."""
    signature: Token | None = None
    """Free-form evidence from the system the reviewer decided in, stored with the decision in
    the audit trail and never checked; what the gate checks is `proof`."""
    proof: Proof | None = None
    """Who made this decision, verified by the gate (docs/identity.md). The policy says per risk
    tier whether a decision without one counts."""

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
    code: str = ""
    """The refusal code when not accepted (`unverified`, `over_limit`, ...)."""
    message: str = ""


class AppliedDecision(Contract):
    """A decision the gate accepted, as the status query shows it."""

    request_id: str
    decision: Decision
    at: datetime
    via: str
    principal: str = ""
    """The verified key or token subject; empty for an asserted (unverified) decision."""

    @property
    def verified(self) -> bool:
        return bool(self.principal)


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
    verified: bool = False
    """Every decision that settled the request carried a verified proof."""
