"""The inbox as a trusted issuer: the policy table that pins it, and the proofs it signs, checked
by the gate's own `check_proof` against that table."""

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hitl.contracts import Decision, Outcome, ProofTarget
from hitl.errors import ConfigError
from hitl.review.issuer import Issuer
from policies.identity import IdentityRules, TrustedIssuer
from policies.proof import ProofCheck, Target, check_proof
from store.signing import generate_key_file

NOW = 1_800_000_000
BOUND = ProofTarget(workflow_id="refund-7", run_id="run-1", request_id="approval-1", action_digest="ab" * 32)
ARRIVED = Target("default", "refund-7", "run-1", "approval-1", "ab" * 32)
DECISION = Decision(outcome=Outcome.APPROVE, reviewer="alice", request_id="approval-1", decision_id="d-1")


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    key = tmp_path / "issuer-key.pem"
    generate_key_file(key)
    return Issuer.from_file(key, "hitl-inbox", "temporal-hitl", 300)


def pinned(issuer: Issuer) -> IdentityRules:
    """The identity rules of a policy holding `issuer.policy_entry()`."""
    entry = tomllib.loads(issuer.policy_entry())["identity"]["issuers"]["inbox"]
    return IdentityRules(issuers={"inbox": TrustedIssuer.model_validate(entry)})


def checked(decision: Decision, issuer: Issuer, arrived: Target = ARRIVED) -> ProofCheck:
    return check_proof(decision, pinned(issuer), arrived, datetime.fromtimestamp(NOW + 10, tz=UTC))


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


def test_the_gate_verifies_the_inbox_proof_as_the_named_reviewer(issuer: Issuer) -> None:
    signed = issuer.sign(DECISION, "default", [BOUND], now=NOW)
    assert signed.proof is not None and signed.proof.expires_at == NOW + 300
    assert checked(signed, issuer) == ProofCheck(principal="jwt:hitl-inbox#alice")


def test_a_changed_decision_or_another_request_is_refused(issuer: Issuer) -> None:
    signed = issuer.sign(DECISION, "default", [BOUND], now=NOW)
    as_bob = signed.model_copy(update={"reviewer": "bob"})
    assert checked(as_bob, issuer).code == "bad_signature"
    elsewhere = Target("default", "refund-7", "run-1", "approval-2", "ab" * 32)
    assert checked(signed, issuer, elsewhere).code == "wrong_request"
    revised = Target("default", "refund-7", "run-1", "approval-1", "cd" * 32)
    assert checked(signed, issuer, revised).code == "stale_action"


def test_another_inbox_key_is_refused(issuer: Issuer, tmp_path: Path) -> None:
    other_key = tmp_path / "other.pem"
    generate_key_file(other_key)
    other = Issuer.from_file(other_key, "hitl-inbox", "temporal-hitl", 300)
    assert checked(other.sign(DECISION, "default", [BOUND], now=NOW), issuer).code == "bad_token"


def test_a_file_without_an_ed25519_private_key_is_refused(tmp_path: Path) -> None:
    public = tmp_path / "key.pem.pub"
    generate_key_file(tmp_path / "key.pem")
    with pytest.raises(ConfigError, match=r"key\.pem\.pub is not an Ed25519 private key"):
        Issuer.from_file(public, "i", "a", 60)
