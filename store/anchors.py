"""What the evidence chain is held to: signed checkpoints (in the database and in export files)
and heads witnessed elsewhere (`--expect-head`, e.g. a head from a workflow's history).

A chain that recomputes cleanly proves only that nobody changed it without recomputing it. The
anchors add what a superuser cannot recompute: a checkpoint's signature needs a key outside the
database, and a head recorded elsewhere cannot be edited from the database.
"""

from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hitl.contracts.chain import Anchor, CheckpointBreak
from hitl.errors import ConfigError
from hitl.settings.groups import AuditAnchorSettings
from store.checkpoints import SignedCheckpoint, anchor_of, database_checkpoints, read_export
from store.signing import load_public_keys

EXPECT_SOURCE = "--expect-head"


def expected_head(text: str) -> Anchor:
    """Parse `HASH` or `POSITION:HASH` (a head witnessed outside the database).

    Raises:
        ConfigError: Not of that form.
    """
    pos_text, _, hash_text = text.rpartition(":")
    hash_text = hash_text.strip().lower()
    if len(hash_text) != 64 or any(c not in "0123456789abcdef" for c in hash_text):
        raise ConfigError(f"--expect-head {text!r}: want HASH or POSITION:HASH (64 hex digits)")
    if pos_text and not pos_text.isdigit():
        raise ConfigError(f"--expect-head {text!r}: the position must be a positive integer")
    return Anchor(source=EXPECT_SOURCE, chain_pos=int(pos_text) if pos_text else None, chain_hash=hash_text)


@dataclass(frozen=True)
class Anchors:
    """Public keys, checkpoints from export files, and expected heads; database checkpoints are
    read at verification time."""

    public_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    exported: list[tuple[str, SignedCheckpoint]] = field(default_factory=list)
    """(file path, checkpoint) for each line of each export file."""
    expected: list[Anchor] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        settings: AuditAnchorSettings,
        *,
        public_key_file: Path | None = None,
        checkpoint_files: list[Path] | None = None,
        expect_heads: list[str] | None = None,
    ) -> "Anchors":
        """Keys from `public_key_file`, else the settings' public key file, else the public half of
        the signing key; checkpoints from `checkpoint_files`, else the settings' export file.

        Raises:
            ConfigError: A key or checkpoint file that is named cannot be read, or a bad head.
        """
        key_file = public_key_file or settings.audit_public_key_file or settings.audit_key_file
        keys = load_public_keys(key_file) if key_file is not None else {}
        files = checkpoint_files or (
            [settings.audit_checkpoint_file] if settings.audit_checkpoint_file else []
        )
        exported = [(str(path), c) for path in files for c in read_export(path)]
        return cls(keys, exported, [expected_head(text) for text in expect_heads or []])

    async def resolve(self, conn: asyncpg.Connection) -> tuple[list[Anchor], list[CheckpointBreak]]:
        """The anchors to hold the chain to, and the checkpoints that cannot be trusted."""
        stored = [("database", c) for c in await database_checkpoints(conn)]
        pins: list[Anchor] = list(self.expected)
        problems: list[CheckpointBreak] = []
        seen: set[tuple[str, str]] = set()
        for source, checkpoint in [*stored, *self.exported]:
            if (checkpoint.body, checkpoint.signature) in seen:
                continue  # the same checkpoint in the database and in a file
            seen.add((checkpoint.body, checkpoint.signature))
            anchor, problem = anchor_of(checkpoint, source, self.public_keys)
            if problem is None:
                pins.append(anchor)
            else:
                problems.append(CheckpointBreak(anchor=anchor, problem=problem))
        return pins, problems


class AnchorCheck:
    """Holds the rows of a chain walk to the anchors, one position at a time."""

    def __init__(self, pins: list[Anchor]) -> None:
        self._at: dict[int, list[Anchor]] = {}
        self._anywhere = {pin.chain_hash: pin for pin in pins if pin.chain_pos is None}
        for pin in pins:
            if pin.chain_pos is not None:
                self._at.setdefault(pin.chain_pos, []).append(pin)
        self._found: set[str] = set()
        self.held: Anchor | None = None
        """The anchor at the highest position found to hold."""
        self.problems: list[CheckpointBreak] = []

    def row(self, pos: int, row_hash: str) -> None:
        """The intact row at `pos` has `row_hash`."""
        for pin in self._at.get(pos, ()):
            if pin.chain_hash == row_hash:
                self.held = pin
            else:
                self.problems.append(
                    CheckpointBreak(
                        anchor=pin,
                        problem=f"position {pos} has hash {row_hash}, not the anchored {pin.chain_hash}: "
                        "the chain was rewritten",
                    )
                )
        witnessed = self._anywhere.get(row_hash)
        if witnessed is not None:
            self._found.add(row_hash)
            self.held = witnessed.model_copy(update={"chain_pos": pos})

    def missing(self, last_pos: int) -> list[CheckpointBreak]:
        """Anchors beyond the chain's end (`last_pos`), and expected hashes never seen."""
        beyond = sorted((p for p in self._at if p > last_pos), key=int)
        gone = [
            CheckpointBreak(
                anchor=pin,
                problem=f"the chain ends at position {last_pos} but this anchor covers position {pos}: "
                f"rows {last_pos + 1}..{pos} were removed (the tail was truncated)",
            )
            for pos in beyond
            for pin in self._at[pos]
        ]
        gone += [
            CheckpointBreak(
                anchor=pin,
                problem="no row of the chain has this hash: rows were removed or the chain was rewritten",
            )
            for h, pin in self._anywhere.items()
            if h not in self._found
        ]
        return gone
