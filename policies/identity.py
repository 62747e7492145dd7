"""Who may sign decisions, and which decisions must be signed (`[identity]` in a policy file).

```toml
[identity]
require_verified = ["high_risk_write", "irreversible"]

require_verified_requester = false   # true: a task starts only with a signed requester proof

[identity.keys]          # name -> pinned Ed25519 public keys (`hitl keys new --as alice`)
alice = ["ed25519:3q2-7w..."]          # reviewers, and requesters that sign their starts
svc-support = ["ed25519:9x8-Aq..."]    # a requesting service: it may start tasks, not decide

[identity.issuers.corp]  # an OIDC provider, or a decision front end trusted the same way
issuer = "https://login.example.com"
audience = "temporal-hitl"
claim = "email"
subjects = { "alice@example.com" = "alice" }
jwks = { keys = [{ kty = "OKP", crv = "Ed25519", x = "...", kid = "k1" }] }
```

Every name is compared normalized (`normalize_name`: Unicode NFKC, casefold, trimmed). Public keys
and JWKS are in the policy, so they are pinned in workflow history with the policy hash. Pure.
"""

import base64
import unicodedata
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, field_validator, model_validator

from hitl.contracts.base import Contract
from hitl.contracts.verdict import RiskTier

ED25519_PREFIX = "ed25519:"
"""Pinned public keys are written `ed25519:<base64url of the 32 raw bytes>`."""

DEFAULT_ALGORITHMS = ("Ed25519", "ES256", "RS256")
"""JWT signature algorithms accepted unless an issuer lists its own (never `none` or HMAC)."""


def normalize_name(name: str) -> str:
    """The form every reviewer and requester name is compared in: NFKC, casefolded, trimmed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The `ed25519:<base64url>` form of a key's public half, as the policy pins it."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return ED25519_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


class TrustedIssuer(Contract):
    """An issuer of decision tokens (JWT): an OIDC provider or a decision front end."""

    issuer: str = Field(min_length=1)
    """The exact `iss` claim."""
    audience: str = Field(min_length=1)
    """The `aud` the token must name."""
    jwks: dict[str, Any]
    """The issuer's public keys as a JWKS document (`{"keys": [...]}`), pinned in the policy."""
    algorithms: list[str] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS), min_length=1)
    claim: str = "email"
    """The claim that names the reviewer (`email`, `sub`, `preferred_username`, ...)."""
    subjects: dict[str, str] = Field(default_factory=dict)
    """Claim value -> reviewer name; a value not listed names the reviewer itself."""

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        weak = [a for a in algorithms if a.lower() == "none" or a.upper().startswith("HS")]
        if weak:
            raise ValueError(
                f"algorithms {weak} are not allowed: a decision token must be signed with a key pair"
            )
        return algorithms

    def reviewer_for(self, claim_value: str) -> str:
        """The normalized reviewer name a claim value maps to."""
        mapped = {normalize_name(k): v for k, v in self.subjects.items()}
        return normalize_name(mapped.get(normalize_name(claim_value), claim_value))


class IdentityRules(Contract):
    """Which decisions must carry a verified proof, and the keys and issuers that can give one."""

    require_verified: list[RiskTier] = Field(default_factory=list)
    """Risk tiers whose requests count only decisions with a verified proof."""
    require_verified_requester: bool = False
    """Whether a task starts only with a requester proof signed by a key pinned for the requester
    in `keys` (`policies.requester_proof`); otherwise an unsigned start is recorded as asserted."""
    keys: dict[str, list[str]] = Field(default_factory=dict)
    """Name -> pinned Ed25519 public keys (`ed25519:<base64url>`); several while rotating. Reviewers
    sign decisions and stage pins with them, requesters sign task starts; a name with keys but in
    no reviewer group may start tasks, never decide."""
    issuers: dict[str, TrustedIssuer] = Field(default_factory=dict)

    @field_validator("keys")
    @classmethod
    def _keys_are_ed25519(cls, keys: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, values in keys.items():
            for value in values:
                if not value.startswith(ED25519_PREFIX):
                    raise ValueError(f"identity.keys.{name}: {value!r} is not an `ed25519:...` public key")
        return keys

    @model_validator(mode="after")
    def _one_holder_per_key(self) -> "IdentityRules":
        holders: dict[str, str] = {}
        for name, values in self.keys.items():
            for value in values:
                other = holders.setdefault(value, name)
                if normalize_name(other) != normalize_name(name):
                    raise ValueError(f"identity.keys: {name!r} and {other!r} share the key {value}")
        return self

    def keys_of(self, reviewer: str) -> list[str]:
        """The public keys pinned for a reviewer (compared normalized)."""
        wanted = normalize_name(reviewer)
        return [key for name, values in self.keys.items() if normalize_name(name) == wanted for key in values]

    def requires_proof(self, tier: RiskTier) -> bool:
        """True when decisions on actions of `tier` count only with a verified proof."""
        return tier in self.require_verified
