"""What a requester signs when it starts a task, and the check of that proof. Pure: no I/O, no clock.

`start_bytes` is the one place the signed bytes are built: the signer (`hitl.client.sign_start`,
`hitl start`) and the workflow both call it. They are the canonical JSON (`policies.proof.
canonical_json`) of a version tag, namespace, workflow id and type, the requester and task kind,
the SHA-256 of the task input without its proof (`input_digest`) and the expiry (Unix seconds).

`check_requester` runs when a task begins, against the keys pinned in the policy's
`[identity.keys]` (the same directory reviewers sign with: a requesting service has a line there
like a reviewer). A proof, when present, is always checked; its absence is refused only when the
policy sets `[identity] require_verified_requester`.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from hitl.contracts.task import GatedInput, RequesterProof
from policies.identity import IdentityRules
from policies.proof import ProofCheck, canonical_json, signed_by

VERSION = "hitl-start/1"


UNSIGNED_FIELDS = {"requester_proof", "carry", "continue_policy"}
"""Not part of what a requester signs: the proof itself, the carry-over a task writes for its own
next run, and how often it continues as new (bounded, and not what the task asks for). A client
built before these fields existed signs the same bytes."""


def input_digest(request: GatedInput) -> str:
    """SHA-256 (hex) of the canonical task input, without `UNSIGNED_FIELDS`."""
    return hashlib.sha256(
        canonical_json(request.model_dump(mode="json", exclude=UNSIGNED_FIELDS))
    ).hexdigest()


def start_bytes(proof: RequesterProof, requester: str, kind: str) -> bytes:
    """The bytes a requester signs: the start of one task, bound to where it runs and its expiry."""
    return canonical_json(
        {
            "v": VERSION,
            "namespace": proof.namespace,
            "workflow_id": proof.workflow_id,
            "workflow_type": proof.workflow_type,
            "requester": requester,
            "kind": kind,
            "input_digest": proof.input_digest,
            "expires_at": proof.expires_at,
        }
    )


@dataclass(frozen=True)
class StartedAs:
    """Where a task started: the workflow's namespace, id and type."""

    namespace: str
    workflow_id: str
    workflow_type: str


def check_requester(
    request: GatedInput, identity: IdentityRules, where: StartedAs, now: datetime
) -> ProofCheck:
    """Verify the requester proof of `request` started at `where` at `now` (when the server
    accepted the start, by the workflow's clock).

    Returns:
        The verified key as principal, an empty check (no proof, none required: asserted), or a
        refusal: `unverified_requester`, `unknown_key`, `bad_signature`, `wrong_namespace`,
        `wrong_workflow`, `wrong_workflow_type`, `changed_input`, `expired`.
    """
    task = request.as_task()
    proof = request.requester_proof
    if proof is None:
        if identity.require_verified_requester:
            return _refuse("unverified_requester", "the policy requires a signed start and the task has none")
        return ProofCheck()
    if proof.key not in identity.keys_of(task.requester):
        return _refuse("unknown_key", f"the key is not pinned for the requester {task.requester!r}")
    if not signed_by(proof.key, proof.signature, start_bytes(proof, task.requester, task.kind)):
        return _refuse("bad_signature", f"the signature does not match this start by {task.requester!r}")
    checks = [
        ("wrong_namespace", proof.namespace, where.namespace, "namespace"),
        ("wrong_workflow", proof.workflow_id, where.workflow_id, "workflow"),
        ("wrong_workflow_type", proof.workflow_type, where.workflow_type, "workflow type"),
        ("changed_input", proof.input_digest, input_digest(request), "input (its digest differs)"),
    ]
    for code, signed, actual, what in checks:
        if signed != actual:
            return _refuse(code, f"the proof was made for another {what}: {signed!r}, not {actual!r}")
    if proof.expires_at <= int(now.timestamp()):
        moment = datetime.fromtimestamp(proof.expires_at, tz=UTC).isoformat()
        return _refuse("expired", f"the requester proof expired at {moment}")
    return ProofCheck(principal=proof.key)


def _refuse(code: str, message: str) -> ProofCheck:
    return ProofCheck(code=code, message=message)
