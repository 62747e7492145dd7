"""Signed decisions: the canonical bytes against fixed vectors, and every refusal code of a proof."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import OKPKey

from hitl.contracts import Decision, Proof, ProofTarget, ProofType
from hitl.review.signing import public_key_text, sign
from policies.identity import IdentityRules, TrustedIssuer, normalize_name
from policies.proof import DECISION_CLAIM, Target, action_digest, check_proof, decision_bytes, decision_hash

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ARGS = {"order_id": "o-1", "amount": 250, "currency": "USD"}
DIGEST = action_digest("issue_refund", 1, ARGS)
HERE = Target("default", "refund-1", "run-1", "approval-1", DIGEST)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = 1893456000  # 2030-01-01
IDENTITY = IdentityRules(keys={"alice": [public_key_text(KEY)]})


def decision(**fields: Any) -> Decision:
    values: dict[str, Any] = {
        "outcome": "modify",
        "reviewer": "alice",
        "request_id": "approval-1",
        "patch": {"amount": 200},
        "reason_code": "wrong_amount",
        "comment": "café",
        "decision_id": "d-1",
    }
    return Decision.model_validate({**values, **fields})


def target(**fields: str) -> ProofTarget:
    values = {
        "workflow_id": "refund-1",
        "run_id": "run-1",
        "request_id": "approval-1",
        "action_digest": DIGEST,
    }
    return ProofTarget.model_validate({**values, **fields})


def signed(
    d: Decision | None = None, *, key: Ed25519PrivateKey = KEY, expires: int = EXPIRES, **where: str
) -> Decision:
    return sign(d or decision(), key, where.pop("namespace", "default"), [target(**where)], expires)


def code(d: Decision, identity: IdentityRules = IDENTITY) -> str:
    return check_proof(d, identity, HERE, NOW).code


def test_the_action_digest_is_the_sha256_of_the_canonical_tool_step_and_arguments() -> None:
    canonical = b'{"args":{"amount":250,"currency":"USD","order_id":"o-1"},"step":1,"tool":"issue_refund"}'
    assert hashlib.sha256(canonical).hexdigest() == DIGEST
    assert DIGEST == "105cffec59d209efa88bcad7d70d8088a662b4c354137d1f19822a5ae59aa892"


def test_the_canonical_bytes_and_signature_match_the_fixed_vector() -> None:
    d = signed()
    assert d.proof is not None
    assert (
        decision_bytes(d, d.proof)
        == (
            '{"answer":null,"comment":"café","decision_id":"d-1","expires_at":1893456000,'
            '"namespace":"default","outcome":"modify","patch":{"amount":200},"reason_code":"wrong_amount",'
            '"request_id":"approval-1","reviewer":"alice","targets":[{"action_digest":'
            '"105cffec59d209efa88bcad7d70d8088a662b4c354137d1f19822a5ae59aa892","request_id":"approval-1",'
            '"run_id":"run-1","workflow_id":"refund-1"}],"v":"hitl-decision/1"}'
        ).encode()
    )
    assert d.proof.key == "ed25519:A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
    assert d.proof.signature == (
        "wR-fh-epYBZEMuMSNnhT3zhRnIqkgywKX83w-soQn0HlC0_T5kO1TTRPZRZNSW3NOb7XHpERoOpe1iDxWI0gDQ"
    )


def test_a_valid_signature_names_the_key_as_principal() -> None:
    assert check_proof(signed(), IDENTITY, HERE, NOW).principal == public_key_text(KEY)
    assert code(signed(decision(reviewer=" ALICE "))) == ""


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (decision(), "unverified"),
        (signed(key=OTHER), "unknown_key"),
        (signed(namespace="prod"), "wrong_namespace"),
        (signed(workflow_id="refund-2"), "wrong_workflow"),
        (signed(run_id="run-0"), "wrong_run"),
        (signed(request_id="approval-1.2"), "wrong_request"),
        (signed(action_digest=action_digest("issue_refund", 1, {**ARGS, "amount": 900})), "stale_action"),
        (signed(expires=int(NOW.timestamp())), "expired"),
    ],
)
def test_each_failure_has_its_code(made: Decision, expected: str) -> None:
    assert code(made) == expected


def test_a_tampered_field_breaks_the_signature() -> None:
    d = signed()
    data = d.model_dump()
    assert code(Decision.model_validate({**data, "patch": {"amount": 2000}})) == "bad_signature"
    assert code(Decision.model_validate({**data, "outcome": "approve", "patch": None})) == "bad_signature"
    forged = d.model_copy(update={"proof": d.proof.model_copy(update={"signature": "AAAA"})})  # type: ignore[union-attr]
    assert code(forged) == "bad_signature"


MUTATIONS: dict[str, Any] = {
    "outcome": st.sampled_from(["approve", "reject", "request_changes"]),
    "reviewer": st.sampled_from(["bob", "erin", "alice2"]),
    "request_id": st.text(min_size=1, max_size=12).filter(lambda s: s != "approval-1"),
    "patch": st.dictionaries(
        st.sampled_from(["amount", "order_id", "reason"]), st.integers(1, 10**6), min_size=1
    ).filter(lambda p: p != {"amount": 200}),
    "reason_code": st.sampled_from([None, "policy", "fraud_risk"]),
    "comment": st.text(max_size=20).filter(lambda c: c != "café"),
    "decision_id": st.one_of(st.none(), st.text(min_size=1, max_size=8).filter(lambda s: s != "d-1")),
    "proof.namespace": st.text(max_size=10).filter(lambda s: s != "default"),
    "proof.expires_at": st.integers(0, 2**40).filter(lambda n: n != EXPIRES),
    "proof.key": st.just(public_key_text(OTHER)),
    "target.workflow_id": st.text(max_size=10).filter(lambda s: s != "refund-1"),
    "target.run_id": st.text(max_size=10).filter(lambda s: s != "run-1"),
    "target.request_id": st.text(max_size=10).filter(lambda s: s != "approval-1"),
    "target.action_digest": st.text(max_size=64).filter(lambda s: s != DIGEST),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(MUTATIONS)).flatmap(lambda f: st.tuples(st.just(f), MUTATIONS[f])))
def test_any_mutation_of_a_signed_decision_is_refused(mutation: tuple[str, Any]) -> None:
    field, value = mutation
    d = signed()
    assert d.proof is not None
    data = d.model_dump(mode="json")
    if field.startswith("proof."):
        data["proof"][field.removeprefix("proof.")] = value
    elif field.startswith("target."):
        data["proof"]["targets"][0][field.removeprefix("target.")] = value
    else:
        data[field] = value
        if field == "outcome" and value != "modify":
            data["patch"] = None
    try:
        mutated = Decision.model_validate(data)
    except ValueError:
        return  # not even a decision: refused before any proof is read
    if field == "reviewer" and normalize_name(value) == "alice":
        return
    assert code(mutated) != ""


ISSUER = OKPKey.generate_key("Ed25519", parameters={"kid": "corp-1"})
ROGUE = OKPKey.generate_key("Ed25519", parameters={"kid": "corp-1"})
CORP = TrustedIssuer(
    issuer="https://login.example.com",
    audience="temporal-hitl",
    jwks={"keys": [ISSUER.as_dict(private=False)]},
    claim="email",
    subjects={"Alice@Example.com": "alice"},
)
JWT_IDENTITY = IdentityRules(issuers={"corp": CORP})


def token_proof_json() -> dict[str, Any]:
    """A valid token proof as JSON, to tamper with."""
    proof = with_token().proof
    assert proof is not None
    made: dict[str, Any] = json.loads(proof.model_dump_json())
    return made


def with_token(key: OKPKey = ISSUER, d: Decision | None = None, **claims: Any) -> Decision:
    base = d or decision()
    proof = Proof(type=ProofType.JWT, namespace="default", targets=[target()], expires_at=EXPIRES)
    values = {
        "iss": CORP.issuer,
        "aud": CORP.audience,
        "exp": EXPIRES,
        "sub": "u-17",
        "email": "alice@example.com",
        DECISION_CLAIM: decision_hash(base, proof),
        **claims,
    }
    token = jwt.encode({"alg": "Ed25519", "kid": "corp-1"}, values, key, algorithms=["Ed25519"])
    return base.model_copy(update={"proof": proof.model_copy(update={"token": token})})


def test_a_token_from_the_pinned_issuer_names_its_subject() -> None:
    check = check_proof(with_token(), JWT_IDENTITY, HERE, NOW)
    assert (check.code, check.principal) == ("", "jwt:https://login.example.com#u-17")


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (with_token(iss="https://evil.example.com"), "wrong_issuer"),
        (with_token(ROGUE), "bad_token"),
        (with_token(aud="someone-else"), "wrong_audience"),
        (with_token(exp=int(NOW.timestamp()) - 1), "expired"),
        (with_token(email="bob@example.com"), "wrong_reviewer"),
        (with_token(ISSUER, None, **{DECISION_CLAIM: "0" * 64}), "bad_signature"),
        (decision(proof={**token_proof_json(), "token": "not.a.jwt"}), "bad_token"),
    ],
)
def test_each_token_failure_has_its_code(made: Decision, expected: str) -> None:
    assert check_proof(made, JWT_IDENTITY, HERE, NOW).code == expected


def test_an_issuer_may_not_use_shared_secret_algorithms() -> None:
    with pytest.raises(ValueError, match="key pair"):
        TrustedIssuer(issuer="x", audience="y", jwks={"keys": []}, algorithms=["HS256"])


def test_two_spellings_cannot_share_one_key() -> None:
    key = public_key_text(KEY)
    assert IdentityRules(keys={"alice": [key], "Alice": [key]}).keys_of("ALICE") == [key, key]
    with pytest.raises(ValueError, match="share the key"):
        IdentityRules(keys={"alice": [key], "bob": [key]})
