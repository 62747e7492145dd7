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


class StagePin(Contract):
    """A person setting (by default pinning) an autonomy stage, signed with their key.

    The signature covers `policies.stage_pin.pin_bytes` (every field but `key` and `signature`);
    the ledger verifies it against the policy's `[identity.keys]` before it writes anything.
    """

    task_kind: str = Field(min_length=1, max_length=200)
    action_type: str = Field(min_length=1, max_length=200)
    stage: int = Field(ge=1, le=5)
    pinned: bool = True
    """False: set without pinning (recomputation from the track record continues)."""
    actor: str = Field(min_length=1, max_length=200)
    """Who sets it: a name in the policy's `[identity.keys]`."""
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: int = 0
    """Unix seconds after which the signed pin no longer counts."""
    key: str = Field(default="", max_length=200)
    """The public key that signed (`ed25519:<base64url>`); empty when unsigned."""
    signature: str = Field(default="", max_length=200)
    """The signature over the canonical bytes, base64url; empty when unsigned."""
