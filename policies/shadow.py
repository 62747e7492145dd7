"""Shadow mode (`[shadow]` in a policy file): the policy's would-be verdict is recorded while a
human decides every action, and the two are compared.

| the policy would have | the human | agreement |
|---|---|---|
| run it alone (`auto`, `auto_then_review`) | approved it unchanged | `agree` |
| run it alone | modified, rejected or sent it back | `too_lax` |
| stopped it (`approve`, `clarify`, `block`) | modified, rejected or sent it back | `agree` |
| stopped it | approved it unchanged | `too_strict` |
"""

from enum import StrEnum

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.contracts.verdict import MODE_ORDER, Mode


class ShadowRules(Contract):
    """Which task kinds and tools run in shadow (`[shadow]`)."""

    task_kinds: list[str] = Field(default_factory=list)
    """Every action of these task kinds is decided by a human; the policy only watches."""
    tools: list[str] = Field(default_factory=list)
    """Every action with these tools is decided by a human; the policy only watches."""

    def applies(self, task_kind: str, tool: str) -> bool:
        """Whether an action of `tool` in a task of `task_kind` runs in shadow."""
        return task_kind in self.task_kinds or tool in self.tools


class Agreement(StrEnum):
    """How the policy's would-be verdict compares with what the human decided."""

    AGREE = "agree"
    TOO_LAX = "too_lax"
    """The policy would have let it run; the human changed or stopped it."""
    TOO_STRICT = "too_strict"
    """The policy would have stopped it; the human approved it unchanged."""


def agreement(would_be: Mode, outcome: str) -> Agreement:
    """Compare the policy's would-be mode with the human's outcome (`approve`, `modify`, ...)."""
    runs_alone = MODE_ORDER[would_be] <= MODE_ORDER[Mode.AUTO_THEN_REVIEW]
    approved = outcome == "approve"
    if runs_alone == approved:
        return Agreement.AGREE
    return Agreement.TOO_LAX if runs_alone else Agreement.TOO_STRICT
