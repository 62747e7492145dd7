"""Verified decisions through the real `temporal` CLI on the dev server of a running stack.

The plainest forgery first: an unsigned JSON decision that only names a directory reviewer never
moves a waiting high-risk task. Then signed decisions from `hitl sign`, replayed, tampered, signed
with the wrong key or expired: each refused with its code, audited, nothing executed. And `hitl
start` signs a task's start with the requester's key, which the task verifies.
"""

import json
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from hitl.contracts import TaskResult, TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from hitl.review.signing import key_file_name, read_key
from policies.identity import public_key_text
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique

pytestmark = pytest.mark.integration

Handle = WorkflowHandle[Any, TaskResult]


def signal(live: LiveStack, workflow_id: str, payload: str) -> None:
    run = live.temporal(
        "workflow", "signal", "--workflow-id", workflow_id, "--name", "decide", "--input", payload
    )
    assert run.returncode == 0, run.stderr


async def codes(live: LiveStack, handle: Handle, count: int) -> list[str]:
    status = await assert_eventually(
        lambda: handle.query(STATUS_QUERY, result_type=TaskStatusView), lambda s: s.refusals_total == count
    )
    audited = await assert_eventually(
        lambda: live.pool.fetch(
            "SELECT data->>'code' AS code FROM audit_events WHERE task_id = $1 AND kind = 'decision_refused'"
            " ORDER BY seq",
            handle.id,
        ),
        lambda rows: len(rows) == count,
    )
    assert [r["code"] for r in audited] == [r.code for r in status.refusals]
    return [r.code for r in status.refusals]


async def signed(live: LiveStack, *args: str, **env: str) -> str:
    run = await hitl(live, "sign", *args, **env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["proof"]["type"] == "ed25519"
    return run.stdout.strip()


async def refunds(live: LiveStack, handle: Handle) -> int:
    count: int = await live.pool.fetchval(
        "SELECT count(*) FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    return count


async def test_forgeries_through_the_temporal_cli_are_refused_and_a_signed_decision_counts(
    live: LiveStack,
) -> None:
    task = await live.waiting_refund(250)
    other = await live.waiting_refund(250)

    signal(live, task.id, '{"outcome":"approve","reviewer":"erin"}')
    assert await codes(live, task, 1) == ["unverified"]

    for_other = await signed(live, "approve", other.id, "--as", "alice")
    signal(live, task.id, for_other)
    tampered = json.loads(await signed(live, "approve", task.id, "--as", "alice"))
    tampered["comment"] = "approved by the director"
    signal(live, task.id, json.dumps(tampered))
    bob_key = str(live.stack.state / "reviewer-keys" / key_file_name("bob"))
    signal(live, task.id, await signed(live, "approve", task.id, "--as", "alice", HITL_REVIEWER_KEY=bob_key))
    signal(live, task.id, await signed(live, "approve", task.id, "--as", "alice", "--valid-for", "-5"))
    assert await codes(live, task, 5) == [
        "unverified",
        "wrong_workflow",
        "bad_signature",
        "unknown_key",
        "expired",
    ]
    assert await refunds(live, task) == 0
    assert (await task.describe()).status is not None

    signal(live, task.id, await signed(live, "approve", task.id, "--as", "alice"))
    result = await task.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")
    assert await refunds(live, task) == 1

    approved = await hitl(live, "approve", other.id, "--as", "carol")
    assert approved.returncode == 0, approved.stderr
    assert (await other.result()).status is TaskStatus.COMPLETED


async def started(live: LiveStack, task_id: str, *args: str, **env: str) -> dict[str, Any]:
    """`hitl start` a refund as alice; return its `task_started` audit event."""
    subject = json.dumps({"order_id": unique("ord"), "amount": 10})
    run = await hitl(
        live, "start", "--task-id", task_id, "--requester", "alice", "--subject", subject, *args, **env
    )
    assert run.returncode == 0, run.stderr
    data: dict[str, Any] = await assert_eventually(
        lambda: live.pool.fetchval(
            "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'task_started'", task_id
        ),
        lambda row: row is not None,
    )
    return data


async def test_hitl_start_signs_with_the_requesters_key_and_the_task_verifies_it(live: LiveStack) -> None:
    keys = live.stack.state / "reviewer-keys"
    verified_id = unique("refund")
    data = await started(live, verified_id)
    alice = public_key_text(read_key(keys / key_file_name("alice")))
    assert (data["requester_verified"], data["requester_principal"]) == (True, alice)
    await live.client.get_workflow_handle(verified_id).terminate(reason="test done")

    # Signed with bob's key in alice's name: the task refuses its start and runs nothing.
    forged_id = unique("refund")
    data = await started(live, forged_id, HITL_REQUESTER_KEY=str(keys / key_file_name("bob")))
    assert (data["requester_verified"], data["requester_refused"]) == (False, "unknown_key")
    result = await live.client.get_workflow_handle(forged_id, result_type=TaskResult).result()
    assert (result.status, result.code, result.steps) == (TaskStatus.REJECTED, "unknown_key", [])
