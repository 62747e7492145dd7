"""Reviewer keys and signed decisions, on the reviewer's side (the `hitl` CLI, `hitl sign`).

It also signs the autonomy stages a person sets (`sign_pin`, for `hitl autonomy set`).

A reviewer's private key is an Ed25519 key in PEM (PKCS#8) in a file only its owner can read
(mode 0600); its public half goes into the policy's `[identity.keys]` as `ed25519:<base64url>`.
Where a reviewer's key is found: `HITL_REVIEWER_KEY` (a file), else `<HITL_REVIEWER_KEY_DIR>/<name>.key`
(default `~/.config/hitl/keys`), else the local stack's demo keys `<HITL_STATE_DIR>/reviewer-keys/`.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hitl.contracts import Decision, Proof, ProofTarget, ProofType
from hitl.contracts.autonomy import StagePin
from hitl.errors import ConfigError
from policies.identity import normalize_name
from policies.identity import public_key_text as public_key_text  # re-exported for signers
from policies.proof import decision_bytes, signature_text
from policies.stage_pin import pin_bytes

DEFAULT_VALIDITY_SECONDS = 3600
"""How long a signed decision counts unless the signer says otherwise."""


def directory_line(name: str, key: Ed25519PrivateKey) -> str:
    """The line to add under `[identity.keys]` in a policy file."""
    return f'{name} = ["{public_key_text(key)}"]'


def sign(
    decision: Decision, key: Ed25519PrivateKey, namespace: str, targets: list[ProofTarget], expires_at: int
) -> Decision:
    """Return `decision` with an Ed25519 proof bound to `targets` until `expires_at` (Unix seconds)."""
    unsigned = Proof(
        type=ProofType.ED25519,
        namespace=namespace,
        targets=targets,
        expires_at=expires_at,
        key=public_key_text(key),
    )
    proof = unsigned.model_copy(
        update={"signature": signature_text(key.sign(decision_bytes(decision, unsigned)))}
    )
    return decision.model_copy(update={"proof": proof})


def sign_pin(pin: StagePin, key: Ed25519PrivateKey, expires_at: int) -> StagePin:
    """Return `pin` signed with `key` until `expires_at` (Unix seconds), as `hitl autonomy set` sends it."""
    unsigned = pin.model_copy(update={"expires_at": expires_at, "key": public_key_text(key), "signature": ""})
    return unsigned.model_copy(update={"signature": signature_text(key.sign(pin_bytes(unsigned)))})


def key_file_name(reviewer: str) -> str:
    """The file name of a reviewer's key: the normalized name, never a path."""
    name = normalize_name(reviewer)
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"{reviewer!r} cannot name a key file")
    return f"{name}.key"


def write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write a private key readable by its owner only (mode 0600); never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)


def read_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key written by `write_key`.

    Raises:
        ConfigError: The file is missing or holds no Ed25519 private key.
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the reviewer key {path}: {err}") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    return key


def find_key(reviewer: str, explicit: Path | None, key_dir: Path, state_dir: Path) -> Path | None:
    """Where the reviewer's key is: `explicit`, else `key_dir/<name>.key`, else the demo keys."""
    if explicit is not None:
        return explicit
    for folder in (key_dir, state_dir / "reviewer-keys"):
        candidate = folder / key_file_name(reviewer)
        if candidate.exists():
            return candidate
    return None
