"""Signed starts: the canonical bytes, digest and signature against fixed vectors, and every
refusal code of a requester proof (pure, no Temporal)."""

import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hitl.client import sign_start
from hitl.contracts import AgentTaskInput
from hitl.reporting.timeline import render_timeline
from policies.identity import IdentityRules, public_key_text
from policies.requester_proof import StartedAs, check_requester, input_digest, start_bytes
from store.audit_read import StoredEvent

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
EXPIRES = 1893456000  # 2030-01-01
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HERE = StartedAs("default", "refund-1", "AgentTaskWorkflow")
IDENTITY = IdentityRules(keys={"svc-support": [public_key_text(KEY)]})
TASK = AgentTaskInput(
    task_id="refund-1", kind="refund", requester="svc-support", subject={"order_id": "A-1", "amount": 250}
)


def signed(task: AgentTaskInput = TASK, **where: Any) -> AgentTaskInput:
    values: dict[str, Any] = {
        "namespace": "default",
        "workflow_type": "AgentTaskWorkflow",
        "expires_at": EXPIRES,
    }
    return sign_start(task, where.pop("key", KEY), **{**values, **where})


def code(task: AgentTaskInput, identity: IdentityRules = IDENTITY, now: datetime = NOW) -> str:
    return check_requester(task, identity, HERE, now).code


def test_the_canonical_bytes_digest_and_signature_match_the_fixed_vectors() -> None:
    task = signed()
    proof = task.requester_proof
    assert proof is not None
    canonical = (
        b'{"kind":"refund","max_steps":12,"policy":"refund","requester":"svc-support",'
        b'"subject":{"amount":250,"order_id":"A-1"},"task_id":"refund-1"}'
    )
    assert hashlib.sha256(canonical).hexdigest() == input_digest(TASK)
    assert input_digest(TASK) == "999f1df9f8ba9ceeb374e7943f2e3f768a4ebf6ca462e1b6feb22a3bedb6ef9b"
    assert input_digest(task) == input_digest(TASK)  # the proof is not part of what it signs
    assert start_bytes(proof, task.requester, task.kind) == (
        b'{"expires_at":1893456000,"input_digest":"999f1df9f8ba9ceeb374e7943f2e3f768a4ebf6ca462e1b6feb22a3bedb6ef9b",'
        b'"kind":"refund","namespace":"default","requester":"svc-support","v":"hitl-start/1",'
        b'"workflow_id":"refund-1","workflow_type":"AgentTaskWorkflow"}'
    )
    assert proof.signature == (
        "IBXEGFitFSDJDP2hED9Op0Xm8KadsdgcvgoEyDtn4R0LIYQGz8o_KK3B6MrXlyZaZUS3t-0TnOYazdB5VEP9CQ"
    )


def test_a_valid_start_is_verified_and_an_unsigned_one_asserted_unless_required() -> None:
    verified = check_requester(signed(), IDENTITY, HERE, NOW)
    assert (verified.code, verified.principal) == ("", public_key_text(KEY))
    assert check_requester(TASK, IDENTITY, HERE, NOW).principal == ""
    required = IDENTITY.model_copy(update={"require_verified_requester": True})
    assert code(TASK, required) == "unverified_requester"
    # The key is pinned under another spelling of the requester's name: still theirs.
    respelled = signed(TASK.model_copy(update={"requester": "SVC-Support "}))
    assert code(respelled) == ""


def test_every_refusal_has_its_code() -> None:
    task = signed()
    proof = task.requester_proof
    assert proof is not None
    tampered_subject = task.model_copy(update={"subject": {"order_id": "A-1", "amount": 900}})
    cases = [
        (signed(key=OTHER), "unknown_key"),
        (
            task.model_copy(update={"requester_proof": proof.model_copy(update={"expires_at": EXPIRES + 1})}),
            "bad_signature",
        ),
        (task.model_copy(update={"requester": "mallory"}), "unknown_key"),
        (task.model_copy(update={"kind": "payout"}), "bad_signature"),
        (signed(namespace="prod"), "wrong_namespace"),
        (signed(TASK.model_copy(update={"task_id": "refund-2"})), "wrong_workflow"),
        (signed(workflow_type="ConfigChangeWorkflow"), "wrong_workflow_type"),
        (tampered_subject, "changed_input"),
        (signed(expires_at=int(NOW.timestamp())), "expired"),
    ]
    assert [code(t) for t, _ in cases] == [expected for _, expected in cases]


def test_the_audit_timeline_says_how_the_requester_was_established() -> None:
    def started(**data: Any) -> str:
        event = StoredEvent(
            chain_pos=1,
            seq=1,
            kind="task_started",
            actor="svc-support",
            occurred_at=NOW,
            recorded_at=NOW,
            data=data,
        )
        return render_timeline("refund-1", [event]).splitlines()[-1].strip()

    key = public_key_text(KEY)
    assert started(requester_verified=True, requester_principal=key) == f"requester verified ({key})"
    assert started(requester_verified=False, requester_principal=None) == "requester asserted"
    assert (
        started(requester_verified=False, requester_refused="expired") == "requester proof refused: expired"
    )
