"""What a person signs to set an autonomy stage, and the check of that signature. Pure: no I/O.

`pin_bytes` is the one place the signed bytes are built (`hitl autonomy set` signs them, the
ledger checks them): the canonical JSON (`policies.proof.canonical_json`) of a version tag, the
task kind, action type, stage, whether it is pinned, the actor, the reason and the expiry (Unix
seconds). The key must be pinned for the actor in the policy's `[identity.keys]`, the directory
reviewers sign decisions with.
"""

from datetime import UTC, datetime

from hitl.contracts.autonomy import StagePin
from policies.identity import IdentityRules
from policies.proof import ProofCheck, canonical_json, signed_by

VERSION = "hitl-stage-pin/1"


def pin_bytes(pin: StagePin) -> bytes:
    """The bytes the actor signs: every field of the pin but its key and signature."""
    return canonical_json({"v": VERSION, **pin.model_dump(mode="json", exclude={"key", "signature"})})


def check_pin(pin: StagePin, identity: IdentityRules, now: datetime) -> ProofCheck:
    """Verify who set the stage.

    Returns:
        The verified key as principal, or a refusal: `unverified` (no signature), `unknown_key`
        (not pinned for the actor), `bad_signature`, `expired`.
    """
    if not pin.signature:
        return ProofCheck(code="unverified", message=f"the stage pin by {pin.actor!r} is not signed")
    if pin.key not in identity.keys_of(pin.actor):
        return ProofCheck(
            code="unknown_key", message=f"the key is not pinned for {pin.actor!r} in the policy"
        )
    if not signed_by(pin.key, pin.signature, pin_bytes(pin)):
        return ProofCheck(
            code="bad_signature", message=f"the signature does not match this pin by {pin.actor!r}"
        )
    if pin.expires_at <= int(now.timestamp()):
        moment = datetime.fromtimestamp(pin.expires_at, tz=UTC).isoformat()
        return ProofCheck(code="expired", message=f"the signed pin expired at {moment}")
    return ProofCheck(principal=pin.key)
