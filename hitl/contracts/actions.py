"""What an agent proposes, and what it is told back."""

from enum import StrEnum
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class RiskSignals(Contract):
    """Facts about an action that policies weigh."""

    amount: float | None = None
    currency: str | None = None
    reversible: bool = True
    customer_tier: str | None = None
    """Customer segment, for example `standard`, `gold`, `enterprise`."""
    sentiment: str | None = None
    """Customer sentiment read by the agent, for example `neutral`, `frustrated`, `hostile`."""
    novelty: bool = False
    """True when there is no precedent for this action type and subject."""
    ambiguous_intent: bool = False
    """True when the agent is unsure what the customer asks for."""
    policy_conflict: bool = False
    """True when the agent found instructions or rules that contradict each other."""


class ProposedAction(Contract):
    """One tool call the agent wants to make, with everything a reviewer needs to judge it."""

    step: int = Field(default=0, ge=0)
    """Step number in the task (`GatedWorkflow.act()` numbers the steps it runs)."""
    tool: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    """One line a reviewer reads first: what will happen."""
    rationale: str = ""
    """The agent's reasoning trace: why this action."""
    sources: list[str] = Field(default_factory=list)
    """Data the agent consulted (records, documents, previous steps)."""
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    signals: RiskSignals = Field(default_factory=RiskSignals)
    alternatives: list[str] = Field(default_factory=list)
    recommendation: str = ""
    question: str | None = None
    """Set when the agent needs a clarifying answer before it can act."""


class TurnKind(StrEnum):
    """What the agent returned on its turn."""

    ACTION = "action"
    DONE = "done"


class StepRecord(Contract):
    """A past step as the agent sees it when it plans the next one."""

    step: int
    tool: str
    status: str
    args: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)
    feedback: str = ""
    """Reviewer comment or answer attached to the step."""


class ProposeInput(Contract):
    """Input of the agent's `propose` activity."""

    task_id: str
    kind: str
    subject: dict[str, Any]
    history: list[StepRecord] = Field(default_factory=list)
    next_step: int = 0
    closing: bool = False
    """The task is ending (rejected, aborted): the agent only writes its closing message."""


class ReviseInput(Contract):
    """Input of the agent's `revise` activity: a reviewer asked for changes."""

    task_id: str
    kind: str
    subject: dict[str, Any]
    action: ProposedAction
    comment: str
    history: list[StepRecord] = Field(default_factory=list)


class AgentTurn(Contract):
    """Output of an agent activity: the next action, or the end of the task."""

    kind: TurnKind
    action: ProposedAction | None = None
    message: str = ""
    """Final message to the requester when `kind` is `done`."""
