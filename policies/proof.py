"""What a reviewer signs, and the check of a decision's proof. Pure: no I/O, no clock.

`decision_bytes` is the one place the signed bytes are built: a signer (`hitl sign`, the `hitl`
CLI, a front end) and the gate both call it. They are the UTF-8 of a JSON object with sorted
keys and no whitespace holding: a version tag, namespace, the targets (workflow id, run id,
request id, action digest: one, or an explicit list for a batch), the decision's request id,
reviewer, outcome, patch, reason code, comment, answer, decision id and expiry (Unix seconds). `action_digest` is the SHA-256 of the canonical tool, step and arguments the card shows.

`check_proof` verifies an Ed25519 signature by a key pinned for the reviewer, or a JWT from a
pinned issuer whose `hitl_decision` claim is the SHA-256 of the same bytes, then compares what the
proof is bound to with where it arrived. Each failure has its own code (see `check_proof`).
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from hitl.contracts.review import Decision, Proof, ProofType
from policies.identity import ED25519_PREFIX, IdentityRules, TrustedIssuer, normalize_name

VERSION = "hitl-decision/1"
DECISION_CLAIM = "hitl_decision"
"""The JWT claim that carries the SHA-256 (hex) of the decision's canonical bytes."""


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no whitespace (NaN and infinities refused)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def action_digest(tool: str, step: int, args: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical tool, step and arguments of a proposed action."""
    return hashlib.sha256(canonical_json({"tool": tool, "step": step, "args": args})).hexdigest()


def decision_bytes(decision: Decision, proof: Proof) -> bytes:
    """The bytes a reviewer signs: the decision bound to its target and expiry."""
    return canonical_json(
        {
            "v": VERSION,
            "namespace": proof.namespace,
            "targets": [t.model_dump() for t in proof.targets],
            "request_id": decision.request_id,
            "reviewer": decision.reviewer,
            "outcome": decision.outcome.value,
            "patch": decision.patch,
            "reason_code": decision.reason_code,
            "comment": decision.comment,
            "answer": decision.answer,
            "decision_id": decision.decision_id,
            "expires_at": proof.expires_at,
        }
    )


def decision_hash(decision: Decision, proof: Proof) -> str:
    """SHA-256 (hex) of `decision_bytes`, as a token's `hitl_decision` claim carries it."""
    return hashlib.sha256(decision_bytes(decision, proof)).hexdigest()


@dataclass(frozen=True)
class Target:
    """Where a decision arrived: the gate's namespace, workflow, run, request and action."""

    namespace: str
    workflow_id: str
    run_id: str
    request_id: str
    action_digest: str


@dataclass(frozen=True)
class ProofCheck:
    """The verified principal (`ed25519:<key>` or `jwt:<issuer>#<subject>`), or a refusal."""

    principal: str = ""
    code: str = ""
    message: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.code)


def check_proof(decision: Decision, identity: IdentityRules, target: Target, now: datetime) -> ProofCheck:
    """Verify `decision.proof` for `target` at `now` (the workflow's clock).

    Returns:
        The principal, or a refusal: `unknown_key`, `bad_signature` (Ed25519); `bad_token`,
        `wrong_issuer`, `wrong_audience`, `wrong_reviewer` (JWT); then for both `wrong_namespace`,
        `wrong_workflow`, `wrong_run`, `wrong_request`, `stale_action`, `expired`.
    """
    proof = decision.proof
    if proof is None:
        return ProofCheck(code="unverified", message="the decision carries no proof")
    if proof.type is ProofType.ED25519:
        authentic = _check_signature(decision, proof, identity)
    else:
        authentic = _check_token(decision, proof, identity, now)
    if authentic.refused:
        return authentic
    bound = _check_binding(decision, proof, target, now)
    return bound if bound.refused else authentic


def _refuse(code: str, message: str) -> ProofCheck:
    return ProofCheck(code=code, message=message)


def _check_signature(decision: Decision, proof: Proof, identity: IdentityRules) -> ProofCheck:
    pinned = identity.keys_of(decision.reviewer)
    if proof.key not in pinned:
        return _refuse("unknown_key", f"the key is not pinned for {decision.reviewer!r} in the policy")
    if not signed_by(proof.key, proof.signature or "", decision_bytes(decision, proof)):
        return _refuse(
            "bad_signature", f"the signature does not match this decision by {decision.reviewer!r}"
        )
    return ProofCheck(principal=proof.key)


def signed_by(key: str, signature: str, message: bytes) -> bool:
    """True when `signature` (base64url) is the Ed25519 signature of `message` by `key`
    (`ed25519:<base64url>`); False for a wrong signature or a malformed key or signature."""
    try:
        public = Ed25519PublicKey.from_public_bytes(_unb64(key.removeprefix(ED25519_PREFIX)))
        public.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _check_token(decision: Decision, proof: Proof, identity: IdentityRules, now: datetime) -> ProofCheck:
    token = proof.token or ""
    try:
        unverified = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, binascii.Error):
        return _refuse("bad_token", "the token is not a compact JWT")
    issuer_claim = unverified.get("iss") if isinstance(unverified, dict) else None
    issuer = next((i for i in identity.issuers.values() if i.issuer == issuer_claim), None)
    if issuer is None:
        return _refuse("wrong_issuer", f"the token's issuer {issuer_claim!r} is not trusted by the policy")
    try:
        claims = jwt.decode(token, KeySet.import_key_set(issuer.jwks), algorithms=issuer.algorithms).claims  # type: ignore[arg-type]
    except (JoseError, ValueError):
        return _refuse("bad_token", f"the token's signature does not verify with {issuer.issuer}'s keys")
    return _check_claims(decision, proof, issuer, claims, now)


def _check_claims(
    decision: Decision, proof: Proof, issuer: TrustedIssuer, claims: dict[str, Any], now: datetime
) -> ProofCheck:
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        aud={"essential": True, "value": issuer.audience},
        exp={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        return _refuse("expired", "the token has expired")
    except (InvalidClaimError, MissingClaimError) as err:
        if "aud" in str(err):
            return _refuse("wrong_audience", f"the token is not for {issuer.audience!r}")
        return _refuse("bad_token", f"the token's claims are invalid: {err}")
    if claims.get(DECISION_CLAIM) != decision_hash(decision, proof):
        return _refuse("bad_signature", "the token was issued for a different decision")
    subject = claims.get(issuer.claim)
    if not isinstance(subject, str) or issuer.reviewer_for(subject) != normalize_name(decision.reviewer):
        return _refuse("wrong_reviewer", f"the token's {issuer.claim} does not name {decision.reviewer!r}")
    return ProofCheck(principal=f"jwt:{issuer.issuer}#{claims.get('sub', subject)}")


def _check_binding(decision: Decision, proof: Proof, target: Target, now: datetime) -> ProofCheck:
    if proof.namespace != target.namespace:
        return _refuse("wrong_namespace", f"the proof was made for namespace {proof.namespace!r}")
    bound = proof.target_in(target.workflow_id)
    if bound is None:
        signed_for = ", ".join(t.workflow_id for t in proof.targets[:3])
        return _refuse("wrong_workflow", f"the proof was made for another workflow ({signed_for})")
    checks = [
        ("wrong_run", bound.run_id, target.run_id, "run"),
        ("wrong_request", bound.request_id, target.request_id, "request"),
        ("stale_action", bound.action_digest, target.action_digest, "revision of the action"),
    ]
    for code, signed, actual, what in checks:
        if signed != actual:
            return _refuse(code, f"the proof was made for another {what} ({signed!r}, not {actual!r})")
    if proof.expires_at <= int(now.timestamp()):
        moment = datetime.fromtimestamp(proof.expires_at, tz=UTC).isoformat()
        return _refuse("expired", f"the proof expired at {moment}")
    return ProofCheck()


def signature_text(signature: bytes) -> str:
    """A raw signature as proofs carry it: unpadded base64url."""
    return base64.urlsafe_b64encode(signature).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
