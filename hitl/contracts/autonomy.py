"""The autonomy ledger as the CLI and reports read it."""

from datetime import datetime
from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract


class StageEntry(Contract):
    """The current stage of one task kind and action type."""

    task_kind: str
    action_type: str
    stage: int = Field(ge=1, le=5)
    pinned: bool = False
    """Set by a person: not recomputed from the track record until unpinned."""
    changed_at: datetime
    changed_by: str
    reason: str = ""


class StageChangeEntry(Contract):
    """One recorded stage change with its evidence."""

    id: int
    task_kind: str
    action_type: str
    from_stage: int
    to_stage: int
    rule: str
    """`promote.approval_rate`, `demote.revert`, `demote.rejection_streak`, `demote.accuracy_drop`,
    `set` (a person) or `unpin`."""
    actor: str
    pinned: bool
    evidence: dict[str, Any] = Field(default_factory=dict)
    changed_at: datetime
