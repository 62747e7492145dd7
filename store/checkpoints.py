"""Signed checkpoints of the evidence chain head: made, stored, exported and read back.

A checkpoint is the canonical JSON `body` (chain position, chain hash, when, key id, version) and
its Ed25519 signature by the key in `store/signing.py`. It is stored in `audit_checkpoints`
(append-only, migration 0008) and appended to an export file outside the database: one JSON object
per line, each line the checkpoint as stored. Verification trusts only `body` and `signature`.
"""

import json
import os
from datetime import datetime
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hitl.contracts.audit import ChainHead
from hitl.contracts.base import Contract
from hitl.contracts.chain import Anchor
from hitl.errors import ConfigError
from store.signing import SigningKey, signature_holds

BODY_VERSION = "hitl-checkpoint-v1"

INSERT = """
INSERT INTO audit_checkpoints (chain_pos, chain_hash, signed_at, key_id, body, signature)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""

ALL = (
    "SELECT id, chain_pos, chain_hash, signed_at, key_id, body, signature FROM audit_checkpoints ORDER BY id"
)


class SignedCheckpoint(Contract):
    """One checkpoint as stored and exported."""

    id: int | None = None
    """Its row id in `audit_checkpoints` (None before it is stored)."""
    chain_pos: int
    chain_hash: str
    signed_at: datetime
    key_id: str
    body: str
    """The exact text that was signed."""
    signature: str
    """Hex Ed25519 signature of `body` (UTF-8)."""


def checkpoint_body(head: ChainHead, signed_at: datetime, key_id: str) -> str:
    """The canonical text a checkpoint signs: sorted keys, no spaces, UTC ISO time."""
    fields = {
        "chain_hash": head.hash,
        "chain_pos": head.pos,
        "key_id": key_id,
        "signed_at": signed_at.isoformat(),
        "v": BODY_VERSION,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def sign_head(key: SigningKey, head: ChainHead, signed_at: datetime) -> SignedCheckpoint:
    """Sign `head` as of `signed_at`."""
    body = checkpoint_body(head, signed_at, key.key_id)
    return SignedCheckpoint(
        chain_pos=head.pos,
        chain_hash=head.hash,
        signed_at=signed_at,
        key_id=key.key_id,
        body=body,
        signature=key.sign(body.encode()),
    )


def anchor_of(
    checkpoint: SignedCheckpoint, source: str, keys: dict[str, Ed25519PublicKey]
) -> tuple[Anchor, str | None]:
    """The anchor a checkpoint vouches for, read from its signed body, and why it cannot be trusted
    (None when its signature verifies)."""
    claimed = Anchor(
        source=source,
        chain_pos=checkpoint.chain_pos,
        chain_hash=checkpoint.chain_hash,
        checkpoint_id=checkpoint.id,
        signed_at=checkpoint.signed_at,
        key_id=checkpoint.key_id,
    )
    if not keys:
        return claimed, "no public key to check checkpoint signatures (set HITL_AUDIT_PUBLIC_KEY_FILE)"
    try:
        body = json.loads(checkpoint.body)
        signed = Anchor(
            source=source,
            chain_pos=int(body["chain_pos"]),
            chain_hash=str(body["chain_hash"]),
            checkpoint_id=checkpoint.id,
            signed_at=datetime.fromisoformat(body["signed_at"]),
            key_id=str(body["key_id"]),
        )
        version = body["v"]
    except (ValueError, KeyError, TypeError) as err:
        return claimed, f"the signed body is not a checkpoint: {err}"
    if version != BODY_VERSION:
        return claimed, f"unknown checkpoint version {version!r}"
    problem = signature_holds(keys, signed.key_id or "", checkpoint.body.encode(), checkpoint.signature)
    return signed, problem


async def chain_head(conn: asyncpg.Connection) -> ChainHead | None:
    """The newest row of the evidence chain (None when it is empty)."""
    row = await conn.fetchrow("SELECT pos, hash FROM evidence_chain_head()")
    if row is None or row["pos"] is None:
        return None
    return ChainHead(pos=row["pos"], hash=row["hash"])


async def store_checkpoint(conn: asyncpg.Connection, checkpoint: SignedCheckpoint) -> SignedCheckpoint:
    """Insert the checkpoint; return it with its id."""
    c = checkpoint
    row_id = await conn.fetchval(
        INSERT, c.chain_pos, c.chain_hash, c.signed_at, c.key_id, c.body, c.signature
    )
    return c.model_copy(update={"id": row_id})


async def database_checkpoints(conn: asyncpg.Connection) -> list[SignedCheckpoint]:
    """Every checkpoint stored in the database, oldest first."""
    return [SignedCheckpoint.model_validate(dict(r)) for r in await conn.fetch(ALL)]


def open_export(path: Path) -> None:
    """Create the export file if it is missing, so that verification can tell an export that has
    no checkpoint yet from one that was removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)


def append_export(path: Path, checkpoint: SignedCheckpoint) -> None:
    """Append one line to the export file and flush it to disk (blocking: run it in a thread)."""
    line = checkpoint.model_dump_json() + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())


def read_export(path: Path) -> list[SignedCheckpoint]:
    """Every checkpoint in an export file, in file order.

    Raises:
        ConfigError: The file cannot be read or a line is not a checkpoint.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ConfigError(f"checkpoint file {path}: {err}") from err
    checkpoints = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoints.append(SignedCheckpoint.model_validate_json(line))
        except ValueError as err:
            raise ConfigError(f"checkpoint file {path}, line {number}: not a checkpoint ({err})") from err
    return checkpoints
