"""What `hitl audit verify` reports: the first broken row of the evidence chain, checkpoints that
do not hold, and keys that arrived twice with different content."""

from datetime import datetime

from pydantic import Field

from hitl.contracts.base import Contract


class ChainBreak(Contract):
    """The first row where the evidence hash chain does not hold."""

    id: int
    """The row's id in its table."""
    chain_pos: int
    event_key: str
    """The event key (feedback key, shadow key; `autonomy_changes/<id>` for a stage change)."""
    task_id: str
    kind: str
    problem: str
    """What does not match: the position, the link to the previous row, or the content."""
    table: str = "audit_events"


class Anchor(Contract):
    """A chain position and hash the chain must hold: a signed checkpoint or an expected head."""

    source: str
    """Where it comes from: `database`, an export file's path, or `--expect-head`."""
    chain_pos: int | None
    """None for an expected head given as a hash only: it may be at any position."""
    chain_hash: str
    checkpoint_id: int | None = None
    signed_at: datetime | None = None
    key_id: str | None = None


class CheckpointBreak(Contract):
    """An anchor the chain does not hold to, or a checkpoint whose signature does not verify."""

    anchor: Anchor
    problem: str


class KeyConflict(Contract):
    """A `key_conflict` row: the key was already stored with other content when its writer came."""

    id: int
    chain_pos: int
    key: str
    """The event or feedback key that arrived twice."""
    task_id: str


class ChainReport(Contract):
    """The result of recomputing the evidence chain and holding it to its anchors."""

    rows: int
    """Rows checked and found intact (before the break, if any)."""
    head: str | None = None
    """Hash of the last intact row."""
    broken: ChainBreak | None = None
    checkpoint: Anchor | None = None
    """The newest anchor the chain was found to hold to."""
    checkpoint_problems: list[CheckpointBreak] = Field(default_factory=list)
    conflicts: list[KeyConflict] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row verified, every anchor held and no key arrived twice."""
        return self.broken is None and not self.checkpoint_problems and not self.conflicts
