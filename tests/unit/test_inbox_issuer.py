"""The inbox as a trusted issuer: the policy table that pins it, and the tokens it signs."""

import tomllib
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey

from hitl.contracts import Decision, Outcome
from hitl.errors import ConfigError
from hitl.review.issuer import DECISION_CLAIM, Issuer, Target
from store.signing import generate_key_file

TARGET = Target("default", "refund-7", "run-1", "approval-1", "ab" * 32)


def pinned(issuer: Issuer) -> KeySet:
    """The keys a policy pins for the issuer (the public JWKS only)."""
    return KeySet([OKPKey.import_key(dict(key)) for key in issuer.jwks()["keys"]])


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    key = tmp_path / "issuer-key.pem"
    generate_key_file(key)
    return Issuer.from_file(key, "hitl-inbox", "temporal-hitl", 300)


def test_the_policy_entry_pins_the_public_key_only(issuer: Issuer) -> None:
    entry = tomllib.loads(issuer.policy_entry())["identity"]["issuers"]["inbox"]
    [key] = entry["jwks"]["keys"]
    assert {k: v for k, v in entry.items() if k != "jwks"} == {
        "issuer": "hitl-inbox",
        "audience": "temporal-hitl",
        "claim": "sub",
        "algorithms": ["Ed25519"],
    }
    assert (sorted(key), key["kid"]) == (["crv", "kid", "kty", "x"], issuer.key_id)


def test_a_token_names_the_reviewer_and_verifies_with_the_pinned_keys(issuer: Issuer) -> None:
    decision = Decision(outcome=Outcome.APPROVE, reviewer="alice", request_id="approval-1", decision_id="d-1")
    signed = issuer.sign(decision, TARGET, now=1_800_000_000)
    assert signed.signature is not None
    claims = jwt.decode(signed.signature, pinned(issuer), algorithms=["Ed25519"]).claims
    assert {k: claims[k] for k in ("iss", "aud", "sub", "iat", "exp", "jti")} == {
        "iss": "hitl-inbox",
        "aud": "temporal-hitl",
        "sub": "alice",
        "iat": 1_800_000_000,
        "exp": 1_800_000_300,
        "jti": "d-1",
    }
    other = issuer.sign(decision.model_copy(update={"reviewer": "bob"}), TARGET, now=1_800_000_000)
    assert other.signature is not None
    other_claims = jwt.decode(other.signature, pinned(issuer), algorithms=["Ed25519"]).claims
    assert other_claims[DECISION_CLAIM] != claims[DECISION_CLAIM]


def test_a_file_without_an_ed25519_private_key_is_refused(tmp_path: Path) -> None:
    public = tmp_path / "key.pem.pub"
    generate_key_file(tmp_path / "key.pem")
    with pytest.raises(ConfigError, match=r"key\.pem\.pub is not an Ed25519 private key"):
        Issuer.from_file(public, "i", "a", 60)
