"""The representative runs the replay gate holds histories of: one entry per scenario.

`tests/workflow/test_record_histories.py` records each into `tests/histories/<name>.json`;
`tests/workflow/test_replay.py` requires a history for every entry and replays them all. A new
scenario is one function and one entry in `SCENARIOS`.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from hitl.client import start_task
from hitl.contracts import AgentTaskInput, Decision, TaskResult
from hitl.contracts.carry import ContinuePolicy
from hitl.names import DECIDE
from tests.support import assert_eventually
from tests.workflow.conftest import Handle, Harness
from tests.workflow.test_resilience import EMAIL_GATED, REVIEWED
from tests.workflow.test_shadow import SHADOW


async def approved(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def modified(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="modify", reviewer="alice", patch={"amount": 200})
    return handle


async def rejected(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="reject", reviewer="bob", reason_code="fraud_risk", comment="no")
    return handle


async def escalated(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.skip(timedelta(hours=4, minutes=1))
    await h.decide(handle, outcome="approve", reviewer="carol")
    return handle


async def timed_out(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    return handle


async def compensated(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_email_gated_rec", EMAIL_GATED))
    await h.wait_request(handle, "approval-2")
    await h.decide(handle, outcome="reject", reviewer="alice", comment="wrong tone")
    return handle


async def config_change_reverted(h: Harness) -> Handle:
    handle = await h.config_change(2500)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="sam")
    await h.decide(handle, outcome="approve", reviewer="riley")
    await h.wait_request(handle, "post_review-1")
    await h.decide(handle, outcome="revert", reviewer="lee")
    return handle


async def shadowed(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_shadow_rec", SHADOW))
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def reviewed_reverted(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_reviewed_rec", REVIEWED))
    await h.wait_request(handle, "post_review-1")
    await h.decide(handle, outcome="revert", reviewer="alice", comment="duplicate claim")
    return handle


async def agent_incident(h: Harness) -> Handle:
    # No agent plans this task kind: the agent activity fails, and a reviewer aborts the incident.
    task = AgentTaskInput(
        task_id=h.task_id("noagent"), kind="no_agent", requester="svc", subject={"order_id": "x"}
    )
    handle = await start_task(h.client, task, task_queue=h.task_queue)
    h.started.append(handle)
    await h.wait_request(handle, "incident-0")
    await h.decide(handle, outcome="abort", reviewer="alice", comment="no agent for this kind")
    return handle


async def account_deleted(h: Harness) -> Handle:
    handle = await h.account_deletion()
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="erin")
    return handle


async def verified_after_forgery(h: Harness) -> Handle:
    """An unsigned forgery refused, then a signed approval (policies pin the test keys)."""
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="erin", signed=False)
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def continued_resumed(h: Harness) -> Handle:
    """A gated refund whose gate a flood of refused signals pushes past a small byte threshold: the
    task continues as new while it waits, and the approval comes in the next run."""
    task = AgentTaskInput(
        task_id=h.task_id("cont"),
        kind="refund",
        requester="svc-support",
        subject={"order_id": (await h.seed_order()), "amount": 150, "customer_message": "please refund"},
        continue_policy=ContinuePolicy(max_bytes=100_000),
    )
    handle = await start_task(h.client, task, task_queue=h.task_queue)
    h.started.append(handle)
    await h.wait_request(handle, "approval-1")
    for n in range(60):
        await handle.signal(DECIDE, Decision(outcome="approve", reviewer=f"mallory-{n}", comment="x" * 2000))
    switched = "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'task_continued'"
    await assert_eventually(lambda: h.pool.fetchval(switched, handle.id), lambda n: n == 1)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def continued_switch(h: Harness) -> Handle:
    """The run that continued as new (its history ends with the switch)."""
    handle = await continued_resumed(h)
    first: Handle = h.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id, result_type=TaskResult
    )
    return first


SCENARIOS: dict[str, Callable[[Harness], Awaitable[Handle]]] = {
    "approved": approved,
    "modified": modified,
    "rejected": rejected,
    "escalated": escalated,
    "timed_out": timed_out,
    "compensated": compensated,
    "config_change_reverted": config_change_reverted,
    "shadowed": shadowed,
    "reviewed_reverted": reviewed_reverted,
    "account_deleted": account_deleted,
    "approved_encrypted": approved,
    "verified_after_forgery": verified_after_forgery,
    "agent_incident": agent_incident,
    "continued_switch": continued_switch,
    "continued_resumed": continued_resumed,
}
"""Every scenario by the name of its history file."""
