"""Verified decisions on the time-skipping server: every forgery is refused with its code, audited,
and executes nothing; a refused update leaves the same evidence as a refused signal."""

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from hitl.client import decide
from hitl.contracts import Decision, Proof, ProofType, TaskStatus, TaskStatusView
from hitl.names import DECIDE, STATUS_QUERY
from hitl.review.signer import target_of
from hitl.review.signing import sign
from policies.proof import DECISION_CLAIM, decision_hash
from tests.support import assert_eventually, reviewer_key
from tests.workflow.conftest import Handle, Harness

LATER = int(time.time()) + 86_400


async def refused_with(h: Harness, handle: Handle, decision: Decision, count: int) -> str:
    """Signal `decision`; return the code of refusal number `count`, checked in the audit trail."""
    await handle.signal(DECIDE, decision)
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: s.refusals_total == count
    )
    code = status.refusals[-1].code
    audited = await assert_eventually(
        lambda: h.pool.fetch(
            "SELECT data->>'code' AS code FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'"
            " ORDER BY seq",
            handle.id,
        ),
        lambda rows: len(rows) == count,
    )
    assert audited[-1]["code"] == code
    return str(code)


async def refunds(h: Harness, handle: Handle) -> int:
    count: int = await h.pool.fetchval(
        "SELECT count(*) FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    return count


async def test_forged_and_replayed_decisions_never_move_a_high_risk_refund(harness: Harness) -> None:
    h = harness
    handle = await h.refund_task(250)
    other = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.wait_request(other, "approval-1")
    alice = Decision(outcome="approve", reviewer="alice", request_id="approval-1")
    target = await target_of(h.client, handle.id, "approval-1")
    for_other = await h.sign(other, alice)

    forgeries = [
        (alice, "unverified"),
        (sign(alice, reviewer_key("bob"), h.client.namespace, [target], LATER), "unknown_key"),
        (for_other, "wrong_workflow"),
        (
            sign(
                alice,
                reviewer_key("alice"),
                h.client.namespace,
                [target.model_copy(update={"run_id": "r0"})],
                LATER,
            ),
            "wrong_run",
        ),
        (sign(alice, reviewer_key("alice"), "prod", [target], LATER), "wrong_namespace"),
        (sign(alice, reviewer_key("alice"), h.client.namespace, [target], int(time.time()) - 60), "expired"),
        (
            sign(
                alice,
                reviewer_key("alice"),
                h.client.namespace,
                [target.model_copy(update={"action_digest": "0" * 64})],
                LATER,
            ),
            "stale_action",
        ),
    ]
    for n, (forged, expected) in enumerate(forgeries, start=1):
        assert await refused_with(h, handle, forged, n) == expected

    modify = await h.sign(handle, Decision(outcome="modify", reviewer="alice", patch={"amount": 200}))
    tampered = Decision.model_validate({**modify.model_dump(), "patch": {"amount": 900}})
    assert await refused_with(h, handle, tampered, len(forgeries) + 1) == "bad_signature"
    assert await refunds(h, handle) == 0

    await handle.signal(DECIDE, await h.sign(handle, alice))
    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")
    accepted = await h.pool.fetchval(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'decision_accepted'", handle.id
    )
    assert (accepted["verified"], accepted["principal"]) == (True, target_key("alice"))
    verified = await h.pool.fetchval("SELECT verified FROM feedback WHERE task_id = $1", handle.id)
    assert verified is True


def target_key(name: str) -> str:
    from hitl.review.signing import public_key_text

    return public_key_text(reviewer_key(name))


async def test_a_proof_for_the_first_revision_does_not_approve_the_revised_action(harness: Harness) -> None:
    h = harness
    handle = await h.refund_task(250)
    first = await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="request_changes", reviewer="alice", comment="refund 150 instead")
    revised = await h.wait_request(handle, "approval-1.2")
    assert revised.action_digest != first.action_digest
    target = await target_of(h.client, handle.id, "approval-1.2")
    stale = target.model_copy(update={"action_digest": first.action_digest})
    approve = Decision(outcome="approve", reviewer="alice", request_id="approval-1.2")
    signed_stale = sign(approve, reviewer_key("alice"), h.client.namespace, [stale], LATER)
    assert await refused_with(h, handle, signed_stale, 1) == "stale_action"
    elsewhere = sign(
        approve.model_copy(update={"request_id": "approval-1.2"}),
        reviewer_key("alice"),
        h.client.namespace,
        [target.model_copy(update={"request_id": "approval-1"})],
        LATER,
    )
    assert await refused_with(h, handle, elsewhere, 2) == "wrong_request"
    await handle.terminate(reason="test done")


async def test_one_person_under_two_spellings_is_one_approver(harness: Harness) -> None:
    h = harness
    handle = await h.config_change(2500)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="sam")
    shouting = await h.sign(handle, Decision(outcome="approve", reviewer=" SAM", request_id="approval-1"))
    shouting = sign(shouting, reviewer_key("sam"), h.client.namespace, shouting.proof.targets, LATER)  # type: ignore[union-attr]
    assert await refused_with(h, handle, shouting, 1) == "duplicate_approver"
    assert (await h.wait_request(handle, "approval-1")).approvals == ["sam"]
    await handle.terminate(reason="test done")


async def test_the_requester_under_another_case_cannot_approve(harness: Harness) -> None:
    h = harness
    handle = await h.refund_task(250, requester="Alice")
    await h.wait_request(handle, "approval-1")
    mine = await h.sign(handle, Decision(outcome="approve", reviewer="alice"))
    assert await refused_with(h, handle, mine, 1) == "self_decision"
    assert await refunds(h, handle) == 0
    await handle.terminate(reason="test done")


async def test_a_refused_update_is_in_history_and_the_audit_trail(harness: Harness) -> None:
    h = harness
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    before = len((await handle.fetch_history()).events)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await decide(h.client, handle.id, Decision(outcome="approve", reviewer="erin"))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "unverified"
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: s.refusals_total == 1
    )
    assert (status.refusals[0].code, status.refusals[0].via) == ("unverified", "update")
    await assert_eventually(
        lambda: h.pool.fetchval(
            "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'", handle.id
        ),
        lambda n: n == 1,
    )
    # What it costs in history (docs/identity.md): the update's two events, plus the workflow task
    # and the audit write that any refused signal costs too (about 11 events in all).
    types = [EventType.Name(e.event_type) for e in (await handle.fetch_history()).events[before:]]
    assert [t for t in types if "UPDATE" in t] == [
        "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED",
    ]
    await handle.terminate(reason="test done")


CORP_KEY = OKPKey.generate_key("Ed25519", parameters={"kid": "corp-1"})


def corp_identity(key: OKPKey) -> str:
    jwk = key.as_dict(private=False)
    return (
        "[identity.issuers.corp]\n"
        'issuer = "https://login.example.com"\n'
        'audience = "temporal-hitl"\n'
        'claim = "email"\n'
        'subjects = { "carol@example.com" = "carol" }\n'
        f'jwks = {{ keys = [{{ kty = "OKP", crv = "Ed25519", x = "{jwk["x"]}", kid = "corp-1" }}] }}\n\n'
        "[identity.keys]\n"
    )


def token_decision(decision: Decision, target: Any, **claims: Any) -> Decision:
    proof = Proof(type=ProofType.JWT, namespace="default", targets=[target], expires_at=LATER)
    values = {
        "iss": "https://login.example.com",
        "aud": "temporal-hitl",
        "exp": LATER,
        "sub": "u-3",
        "email": "carol@example.com",
        DECISION_CLAIM: decision_hash(decision, proof),
        **claims,
    }
    token = jwt.encode({"alg": "Ed25519", "kid": "corp-1"}, values, CORP_KEY, algorithms=["Ed25519"])
    return decision.model_copy(update={"proof": proof.model_copy(update={"token": token})})


async def test_tokens_from_another_issuer_or_audience_are_refused(harness: Harness) -> None:
    h = harness
    policy = h.refund_policy("refund_oidc", {"[identity.keys]\n": corp_identity(CORP_KEY)})
    handle = await h.refund_task(250, policy=policy)
    await h.wait_request(handle, "approval-1")
    target = await target_of(h.client, handle.id, "approval-1")
    carol = Decision(outcome="approve", reviewer="carol", request_id="approval-1")
    assert (
        await refused_with(h, handle, token_decision(carol, target, iss="https://evil.example"), 1)
        == "wrong_issuer"
    )
    assert (
        await refused_with(h, handle, token_decision(carol, target, aud="other-app"), 2) == "wrong_audience"
    )
    assert await refunds(h, handle) == 0
    await handle.signal(DECIDE, token_decision(carol, target))
    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "carol")
