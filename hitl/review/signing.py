"""Reviewer keys and signed decisions, on the reviewer's side (the `hitl` CLI, `hitl sign`).

A reviewer's private key is an Ed25519 key in PEM (PKCS#8) in a file only its owner can read
(mode 0600); its public half goes into the policy's `[identity.keys]` as `ed25519:<base64url>`.
Where a reviewer's key is found: `HITL_REVIEWER_KEY` (a file), else `<HITL_REVIEWER_KEY_DIR>/<name>.key`
(default `~/.config/hitl/keys`), else the local stack's demo keys `<HITL_STATE_DIR>/reviewer-keys/`.
"""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from hitl.contracts import Decision, PendingResult, Proof, ProofTarget, ProofType
from hitl.errors import ConfigError
from hitl.names import PENDING_QUERY
from policies.identity import ED25519_PREFIX, normalize_name
from policies.proof import decision_bytes

DEFAULT_VALIDITY_SECONDS = 3600
"""How long a signed decision counts unless the signer says otherwise."""


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The `ed25519:<base64url>` form of a key's public half, as the policy pins it."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return ED25519_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


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
    signature = key.sign(decision_bytes(decision, unsigned))
    proof = unsigned.model_copy(
        update={"signature": base64.urlsafe_b64encode(signature).decode().rstrip("=")}
    )
    return decision.model_copy(update={"proof": proof})


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


class NothingToSign(Exception):
    """The task has no open request the decision could be bound to (or more than one)."""


async def target_of(client: Client, workflow_id: str, request_id: str | None) -> ProofTarget:
    """The run, request and action digest a decision for `workflow_id` must be bound to now.

    Raises:
        NothingToSign: No open request matches, or several do and none is named.
        temporalio.service.RPCError: Temporal failed (an unknown task is NOT_FOUND).
    """
    handle = client.get_workflow_handle(workflow_id)
    # Read raw: the run id is all we need, and decoding every search attribute can fail on a
    # server that keeps an unset attribute as an empty payload (the time-skipping server).
    description = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    pending: PendingResult = await handle.query(PENDING_QUERY, result_type=PendingResult)
    matching = [r for r in pending.requests if request_id in (None, r.request_id)]
    if len(matching) != 1:
        found = ", ".join(r.request_id for r in pending.requests) or "none"
        wanted = f"request {request_id!r}" if request_id else "exactly one open request"
        raise NothingToSign(f"{workflow_id} has no {wanted} to sign for (open: {found})")
    request = matching[0]
    return ProofTarget(
        workflow_id=workflow_id,
        run_id=description.workflow_execution_info.execution.run_id,
        request_id=request.request_id,
        action_digest=request.action_digest,
    )
