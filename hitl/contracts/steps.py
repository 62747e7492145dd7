"""How each step of a task ended."""

from enum import StrEnum
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class StepStatus(StrEnum):
    """What became of one proposed action."""

    EXECUTED = "executed"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    FAILED = "failed"
    SKIPPED = "skipped"
    CLARIFIED = "clarified"
    """The agent asked a question and a human answered it; nothing executed."""
    COMPENSATED = "compensated"
    REVERTED = "reverted"


class StepOutcome(Contract):
    """One step of a finished task."""

    step: int
    tool: str
    status: StepStatus
    mode: str
    """Verdict mode the policy gave the step (`auto`, `approve`, ...)."""
    args: dict[str, Any] = Field(default_factory=dict)
    """Arguments that executed (after any reviewer patch), or were proposed."""
    decided_by: str | None = None
    """Reviewer whose decision settled the step, if a human decided."""
    detail: str = ""
