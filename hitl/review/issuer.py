"""A decision front end as a trusted issuer: its key, the policy entry that pins it, its tokens.

The reviewer inbox authenticates a reviewer (local account or OIDC), then issues a short-lived
JWT for each decision they send: `iss` and `aud` as the policy pins them, `sub` the reviewer's
name, `exp`, and `hitl_decision`, the SHA-256 of the decision's canonical bytes
(`policies.proof.decision_bytes`: the decision bound to namespace, run, request, action digest
and expiry). The token travels as the decision's `proof` (type `jwt`). The policy trusts the
inbox by an `[identity.issuers.<name>]` entry holding the public half of its key
(`policy_entry`), so the gate verifies the token like any pinned issuer's.
"""

import json
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import OKPKey

from hitl.contracts import Decision, Proof, ProofTarget, ProofType
from hitl.errors import ConfigError
from hitl.review.inbox import QueuedRequest
from policies.proof import DECISION_CLAIM, decision_hash

ALGORITHM = "Ed25519"


def target_of(queued: QueuedRequest) -> ProofTarget:
    """What a decision on `queued` is bound to: its run, request and the action's digest as the
    gate computed it (the `pending` query returns it)."""
    return ProofTarget(
        workflow_id=queued.workflow_id,
        run_id=queued.run_id,
        request_id=queued.request.request_id,
        action_digest=queued.request.action_digest,
    )


class Issuer:
    """Signs decision tokens with one Ed25519 key."""

    def __init__(self, key: OKPKey, issuer: str, audience: str, validity_seconds: int) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.validity_seconds = validity_seconds

    @classmethod
    def from_file(cls, path: Path, issuer: str, audience: str, validity_seconds: int) -> "Issuer":
        """Load the key from a PEM (PKCS#8) file.

        Raises:
            ConfigError: The file cannot be read or holds no Ed25519 private key.
        """
        try:
            key = OKPKey.import_key(path.read_bytes())
        except (OSError, ValueError) as err:
            raise ConfigError(f"HITL_INBOX_KEY_FILE: cannot read an Ed25519 key from {path}: {err}") from err
        if key.curve_name != ALGORITHM or not key.is_private:
            raise ConfigError(f"HITL_INBOX_KEY_FILE: {path} is not an Ed25519 private key")
        return cls(key, issuer, audience, validity_seconds)

    @property
    def key_id(self) -> str:
        """The key's JWK thumbprint, named in each token's header."""
        return self.key.thumbprint()

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public key as a JWKS document, as the policy pins it."""
        public = {str(k): str(v) for k, v in self.key.as_dict(private=False).items()}
        return {"keys": [{**public, "kid": self.key_id}]}

    def policy_entry(self, name: str = "inbox") -> str:
        """The `[identity.issuers.<name>]` table that makes a policy trust this issuer."""
        key = self.jwks()["keys"][0]
        inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(key.items()))
        return (
            f"[identity.issuers.{name}]\n"
            f"issuer = {json.dumps(self.issuer)}\n"
            f"audience = {json.dumps(self.audience)}\n"
            'claim = "sub"\n'
            f'algorithms = ["{ALGORITHM}"]\n'
            f"jwks = {{ keys = [{{ {inline} }}] }}\n"
        )

    def sign(self, decision: Decision, namespace: str, targets: list[ProofTarget], now: int) -> Decision:
        """`decision`, made by its `reviewer` on `targets` in `namespace`, with a JWT proof valid
        from `now` (Unix seconds) for the issuer's validity."""
        proof = Proof(
            type=ProofType.JWT, namespace=namespace, targets=targets, expires_at=now + self.validity_seconds
        )
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": decision.reviewer,
            "iat": now,
            "exp": proof.expires_at,
            DECISION_CLAIM: decision_hash(decision, proof),
        }
        if decision.decision_id:
            claims["jti"] = decision.decision_id
        token = jwt.encode({"alg": ALGORITHM, "kid": self.key_id}, claims, self.key, algorithms=[ALGORITHM])
        return decision.model_copy(update={"proof": proof.model_copy(update={"token": token})})
