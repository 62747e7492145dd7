"""Verified requesters on the time-skipping server: a signed start is recorded as verified, a
start the policy refuses ends `rejected` with its code (audited, nothing runs), and the verified
requester may not approve their own request under another spelling."""

import time
from typing import Any

from hitl.client import start_task
from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from policies.identity import public_key_text
from tests.support import assert_eventually, reviewer_key, unique
from tests.workflow.conftest import Harness

REQUIRED = {"require_verified_requester = false": "require_verified_requester = true"}


async def started_event(h: Harness, task_id: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = await assert_eventually(
        lambda: h.pool.fetchval(
            "SELECT data FROM audit_events WHERE task_id = $1 AND kind = $2", task_id, kind
        ),
        lambda row: row is not None,
    )
    return data


def refund(requester: str = "alice", policy: str = "refund", **fields: Any) -> AgentTaskInput:
    values: dict[str, Any] = {
        "task_id": unique("refund"),
        "kind": "refund",
        "requester": requester,
        "policy": policy,
        "subject": {"order_id": unique("ord"), "amount": 250, "customer_message": "please refund"},
    }
    return AgentTaskInput.model_validate({**values, **fields})


async def refused(h: Harness, task: AgentTaskInput) -> tuple[str, str]:
    """Start `task`; return the code its result and its audited start carry (nothing ran)."""
    handle = await start_task(h.client, task, task_queue=h.task_queue)
    h.started.append(handle)
    result = await handle.result()
    assert (result.status, result.steps) == (TaskStatus.REJECTED, [])
    audited = await started_event(h, task.task_id, "task_started")
    assert audited["requester_verified"] is False
    finished = await started_event(h, task.task_id, "task_finished")
    assert finished["code"] == result.code
    return result.code, str(audited["requester_refused"])


async def test_a_signed_start_is_verified_and_its_requester_cannot_approve_under_another_spelling(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.refund_task(250, requester="Alice", requester_key=reviewer_key("alice"))
    await h.wait_request(handle, "approval-1")
    audited = await started_event(h, handle.id, "task_started")
    assert (audited["requester_verified"], audited["requester_principal"], audited["requester_refused"]) == (
        True,
        public_key_text(reviewer_key("alice")),
        None,
    )
    await h.decide(handle, outcome="approve", reviewer=" ALICE")
    status: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    assert [r.code for r in status.refusals] == ["self_decision"]
    await h.decide(handle, outcome="approve", reviewer="bob")
    result: TaskResult = await handle.result()
    assert (result.status, result.steps[1].decided_by, result.code) == (TaskStatus.COMPLETED, "bob", "")


async def test_an_unsigned_start_is_asserted_unless_the_policy_requires_a_signed_one(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.refund_task(10, requester="svc-support")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    audited = await started_event(h, handle.id, "task_started")
    assert (audited["requester_verified"], audited["requester_principal"]) == (False, None)

    policy = h.refund_policy(unique("requester_required").replace("-", "_"), REQUIRED)
    assert await refused(h, refund(policy=policy)) == ("unverified_requester", "unverified_requester")


async def test_every_bad_requester_proof_is_refused_with_its_code(harness: Harness) -> None:
    h = harness
    policy = h.refund_policy(unique("requester_required").replace("-", "_"), REQUIRED)
    alice = reviewer_key("alice")
    good = h.signed_start(refund(policy=policy), alice)
    elsewhere = h.signed_start(refund(policy=policy), alice)
    assert good.requester_proof is not None
    cases = [
        (h.signed_start(refund(policy=policy), reviewer_key("bob")), "unknown_key"),
        (good.model_copy(update={"subject": {**good.subject, "amount": 900}}), "changed_input"),
        (
            good.model_copy(
                update={"task_id": unique("refund"), "requester_proof": elsewhere.requester_proof}
            ),
            "wrong_workflow",
        ),
        (h.signed_start(refund(policy=policy), alice, expires_at=int(time.time()) - 60), "expired"),
        (h.signed_start(refund(policy=policy), alice, namespace="prod"), "wrong_namespace"),
    ]
    for task, expected in cases:
        assert await refused(h, task) == (expected, expected)
