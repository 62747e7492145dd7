"""Long tasks continue as new (issue 14, point 3): a task of hundreds of steps runs across
several runs of one workflow id and still compensates in reverse on a late rejection; a flood of
refused signals at a gate makes the task continue instead of reaching Temporal's history limit;
open requests keep their SLA timers and decisions across the switch; the audit trail shows one
task, each event once, chained."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import decide, start_task
from hitl.contracts import AgentTaskInput, Decision, DecisionReceipt, StepStatus, TaskResult, TaskStatus
from hitl.contracts.carry import ContinuePolicy
from hitl.names import DECIDE
from hitl.review.signing import sign
from store.chain import verify_chain
from tests.codec_keys import TEST_CONVERTER
from tests.failure_histories import keep_histories, write_histories
from tests.fake_chat_server import FakeChatServer
from tests.long_agent import long_script
from tests.patch_markers import patch_markers
from tests.support import assert_eventually, reviewer_key, running_workers, settings_for, unique
from tests.workflow.conftest import Handle, Harness
from workers.agent import SANDBOX
from workflows.patches import DECIDED_AT_START
from workflows.registry import WORKFLOWS

LONG_STEPS = 240
"""Steps of the long task: a lookup, 238 undoable ticket closures, then a gated refund."""


class Long(Harness):
    """A harness whose refund agent is the scripted long model (`tests/long_agent.py`)."""


@pytest.fixture
async def long(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Long]:
    server = FakeChatServer(long_script)
    with server.running():
        settings = settings_for(tmp_path, unique("notify")).model_copy(
            update={"llm_base_url": server.base_url}
        )
        harness = Long(ts_env, pool, unique("tq"), settings.outbox, settings.policy_dir)
        try:
            async with running_workers(ts_env.client, pool, settings, harness.task_queue):
                yield harness
        finally:
            await keep_histories(request.node, harness.started)
            await harness.terminate_leftovers()


async def start(
    harness: Harness, policy: ContinuePolicy, *, max_steps: int = 12, **subject: Any
) -> tuple[Handle, str]:
    """Seed an order of 500 and start a refund task on it with `policy`; the handle and order id."""
    order_id = unique("ord")
    await seed_orders(
        harness.pool,
        [DemoOrder(order_id=order_id, customer_email=f"{order_id}@example.com", total=Decimal(500))],
    )
    task = AgentTaskInput(
        task_id=unique("long"),
        kind="refund",
        requester="svc-support",
        subject={"order_id": order_id, "customer_message": "please refund", **subject},
        max_steps=max_steps,
        continue_policy=policy,
    )
    handle = await start_task(harness.client, task, task_queue=harness.task_queue)
    harness.started.append(handle)
    return handle, order_id


async def trail(pool: asyncpg.Pool, task_id: str) -> list[asyncpg.Record]:
    """The task's audit events in chain order."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT seq, event_key, kind, data, occurred_at FROM audit_events WHERE task_id = $1 ORDER BY chain_pos",
        task_id,
    )
    return rows


async def assert_one_chained_trail(pool: asyncpg.Pool, task_id: str, runs: int) -> list[asyncpg.Record]:
    """One task across `runs` runs: sequence 1..n without gaps or repeats, one start, one finish,
    a `task_continued` per switch naming the run before it, and the chain verifies."""
    events = await trail(pool, task_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["kind"] for e in events]
    assert (kinds.count("task_started"), kinds.count("task_finished")) == (1, 1)
    assert kinds[0] == "task_started" and kinds[-1] == "task_finished"
    switches = [e["data"] for e in events if e["kind"] == "task_continued"]
    assert len(switches) == runs - 1
    assert [s["run_number"] for s in switches] == list(range(2, runs + 1))
    assert all(s["from_run"] != s["run"] for s in switches)
    assert [s["from_run"] for s in switches[1:]] == [s["run"] for s in switches[:-1]]
    async with pool.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is None
    return events


@pytest.mark.timeout(900)  # hundreds of steps: a minute alone, several on a loaded machine
async def test_continue_as_new_runs_hundreds_of_steps_and_compensates_in_reverse(long: Long) -> None:
    policy = ContinuePolicy(max_events=1500)
    handle, _ = await start(long, policy, max_steps=LONG_STEPS + 5, steps=LONG_STEPS, final_refund=150)
    await assert_eventually(lambda: continued_runs(long.pool, handle.id), lambda runs: runs >= 2, within=300)
    # An edit that would let the final refund run alone reaches no run of the running task.
    policy_file = long.policy_dir / "refund.toml"
    policy_file.write_text(policy_file.read_text().replace("approve_above = 100", "approve_above = 1000"))
    # Hundreds of steps take a while on a shared machine: wait for the last one's gate.
    await assert_eventually(
        lambda: long.status(handle),
        lambda view: [r.request_id for r in view.open_requests] == [f"approval-{LONG_STEPS - 1}"],
        within=600,
    )
    await long.decide(handle, outcome="reject", reviewer="alice", comment="not this one")
    result = await handle.result()

    closures = range(1, LONG_STEPS - 1)
    assert result.status is TaskStatus.COMPENSATED
    assert [(s.step, s.status) for s in result.steps] == [
        (0, StepStatus.EXECUTED),
        *[(n, StepStatus.COMPENSATED) for n in closures],
        (LONG_STEPS - 1, StepStatus.REJECTED),
    ]
    runs = await continued_runs(long.pool, handle.id)
    assert runs >= 3
    events = await assert_one_chained_trail(long.pool, handle.id, runs)
    first = next(e["data"] for e in events if e["kind"] == "task_continued")
    assert first["from_run"] == handle.first_execution_run_id
    undone = [e["data"]["step"] for e in events if e["kind"] == "compensated"]
    assert undone == list(reversed(closures))
    executed = [e["data"]["step"] for e in events if e["kind"] == "executed"]
    assert executed == list(range(LONG_STEPS - 1))
    pinned = {e["data"]["policy_hash"] for e in events if e["kind"] in ("task_started", "verdict")}
    assert len(pinned) == 1


async def continued_runs(pool: asyncpg.Pool, task_id: str) -> int:
    """How many runs the task had (1 + its `task_continued` events)."""
    switches: int = await pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE task_id = $1 AND kind = 'task_continued'", task_id
    )
    return switches + 1


async def flood(harness: Harness, handle: Handle, count: int, size: int = 2000) -> None:
    """Send `count` decisions the gate refuses (an unknown reviewer), each about `size` bytes."""
    for n in range(count):
        bad = Decision(outcome="approve", reviewer=f"mallory-{n}", comment="x" * size)
        await handle.signal(DECIDE, bad)


async def test_continue_as_new_keeps_a_flooded_gate_alive_and_its_decision_signed_before(
    harness: Harness,
) -> None:
    policy = ContinuePolicy(max_bytes=150_000)
    handle, order_id = await start(harness, policy, amount=150)
    await harness.wait_request(handle, "approval-1")
    # Signed against the first run; it arrives after the task continued as new.
    signed = await harness.sign(
        handle, Decision(outcome="approve", reviewer="alice", request_id="approval-1")
    )
    assert signed.proof is not None
    elsewhere = sign(
        signed.model_copy(update={"proof": None}),
        reviewer_key("alice"),
        harness.client.namespace,
        [signed.proof.targets[0].model_copy(update={"run_id": "another-run"})],
        signed.proof.expires_at,
    )
    await flood(harness, handle, 120)
    await assert_eventually(lambda: continued_runs(harness.pool, handle.id), lambda runs: runs >= 2)
    view = await harness.status(handle)
    assert [r.request_id for r in view.open_requests] == ["approval-1"]
    assert view.refusals_total == 120
    # Updates by workflow id reach the new run: a proof bound to a run that is not this task's is refused.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await decide(harness.client, handle.id, elsewhere)
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "wrong_run"
    await handle.signal(DECIDE, signed)
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.status) for s in result.steps[:2]] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.EXECUTED),
    ]
    refunds = await harness.pool.fetch("SELECT amount FROM shop.refunds WHERE order_id = $1", order_id)
    assert [r["amount"] for r in refunds] == [Decimal(150)]
    runs = await continued_runs(harness.pool, handle.id)
    events = await assert_one_chained_trail(harness.pool, handle.id, runs)
    kinds = [e["kind"] for e in events]
    assert kinds.count("decision_refused") == 121
    assert kinds.count("decision_accepted") == 1


async def test_continue_as_new_loses_no_decision_sent_while_it_switches(harness: Harness) -> None:
    handle, _ = await start(harness, ContinuePolicy(max_bytes=120_000), amount=150)
    await harness.wait_request(handle, "approval-1")
    signed = await harness.sign(
        handle, Decision(outcome="approve", reviewer="alice", request_id="approval-1")
    )
    # The threshold is passed about halfway through the flood; the decision comes right after.
    await flood(harness, handle, 60)
    await handle.signal(DECIDE, signed)
    await flood(harness, handle, 60)
    result = await handle.result()

    assert result.status is TaskStatus.COMPLETED
    assert [s.status for s in result.steps[:2]] == [StepStatus.EXECUTED, StepStatus.EXECUTED]
    runs = await continued_runs(harness.pool, handle.id)
    assert runs >= 2
    kinds = [e["kind"] for e in await assert_one_chained_trail(harness.pool, handle.id, runs)]
    assert (kinds.count("decision_accepted"), kinds.count("decision_refused")) == (1, 120)


async def test_continue_as_new_keeps_the_sla_timers_of_an_open_request(harness: Harness) -> None:
    handle, _ = await start(harness, ContinuePolicy(max_bytes=100_000), amount=150)
    opened = await harness.wait_request(handle, "approval-1")
    await flood(harness, handle, 60)
    await assert_eventually(lambda: continued_runs(harness.pool, handle.id), lambda runs: runs >= 2)
    carried = await harness.wait_request(handle, "approval-1")
    assert (carried.deadline, carried.tier, carried.opened_at) == (opened.deadline, 0, opened.opened_at)
    result = await handle.result()

    assert result.status is TaskStatus.REJECTED
    assert result.reason == "no decision before the escalation ladder ran out (reject)"
    events = await trail(harness.pool, handle.id)
    ladder = [(e["kind"], e["occurred_at"]) for e in events if e["kind"] in ("escalated", "fallback")]
    # The refund ladder: support leads 4 h, managers 8 h, directors 24 h, then the fallback.
    assert [kind for kind, _ in ladder] == ["escalated", "escalated", "fallback"]
    hours = [(at - opened.opened_at).total_seconds() / 3600 for _, at in ladder]
    assert [round(h, 3) for h in hours] == [4.0, 12.0, 36.0]


async def refused_in_trail(pool: asyncpg.Pool, task_id: str) -> int:
    """How many `decision_refused` events the task's audit trail holds."""
    return sum(1 for e in await trail(pool, task_id) if e["kind"] == "decision_refused")


async def first_task_done(client: Client, workflow_id: str, run_id: str) -> int | None:
    """The id of the first `WorkflowTaskCompleted` event of that run, once there is one."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    done = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return next((e.event_id for e in history.events if e.event_type == done), None)


async def reset_to_first_task(client: Client, workflow_id: str, run_id: str, task_done: int) -> None:
    """Reset the run to its first workflow task; the signals after it are not delivered again."""
    await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            reason="a decision in the first workflow task of a continued run",
            workflow_task_finish_event_id=task_done,
            request_id=unique("reset"),
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
        )
    )


@pytest.mark.parametrize("via", ["signal", "update"])
async def test_continue_as_new_applies_a_decision_that_arrives_with_the_new_runs_start(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, via: str, request: pytest.FixtureRequest
) -> None:
    # A decision in the same workflow task as the continued run's start reaches the handlers
    # before the run restores its carry-over; the restore used to overwrite it (the approval and
    # its audit event lost, the task waiting on). The window is made certain: with the workers
    # stopped, the new run is reset to its first workflow task and the decision sent then.
    settings = settings_for(tmp_path, unique("notify"))
    harness = Harness(dev_env, pool, unique("tq"), settings.outbox, settings.policy_dir)
    client = dev_env.client
    try:
        async with running_workers(client, pool, settings, harness.task_queue):
            handle, order_id = await start(harness, ContinuePolicy(max_bytes=60_000), amount=150)
            await harness.wait_request(handle, "approval-1")
            signed = await harness.sign(
                handle, Decision(outcome="approve", reviewer="alice", request_id="approval-1")
            )
            await flood(harness, handle, 40)
            await assert_eventually(lambda: continued_runs(harness.pool, handle.id), lambda runs: runs >= 2)
            await assert_eventually(lambda: harness.status(handle), lambda v: v.refusals_total == 40)
            # Their audit events are written too before the workers stop: the reset below drops
            # what the new run did after its first workflow task, a write still queued with it.
            await assert_eventually(lambda: refused_in_trail(pool, handle.id), lambda count: count >= 40)
            run_id = (await handle.describe()).run_id
            assert run_id is not None
            task_done = await assert_eventually(
                lambda: first_task_done(client, handle.id, run_id), lambda event: event is not None
            )
            assert task_done is not None
        await reset_to_first_task(client, handle.id, run_id, task_done)
        # An update cannot wait for the restore (its answer is due in this workflow task): it is
        # refused as `not_ready`, and `hitl.client.decide` sends it again.
        raw_update = asyncio.create_task(handle.execute_update(DECIDE, signed, result_type=DecisionReceipt))
        if via == "signal":
            await handle.signal(DECIDE, signed)
        else:
            resent = asyncio.create_task(decide(client, handle.id, signed))
        await asyncio.sleep(1)
        async with running_workers(client, pool, settings, harness.task_queue):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await raw_update
            assert isinstance(refused.value.cause, ApplicationError)
            assert refused.value.cause.type == "not_ready"
            if via == "update":
                receipt = await resent
                assert receipt.accepted and receipt.request_id == "approval-1"
            # The run the reset made (the handle's own chain ends at the reset's termination).
            latest = client.get_workflow_handle(handle.id, result_type=TaskResult)
            result = await asyncio.wait_for(latest.result(), timeout=60)
        history = await latest.fetch_history()
    except BaseException:
        # Keep its runs now: the cleanup below ends them before the failure is reported.
        await write_histories(request.node, harness.started)
        raise
    finally:
        await harness.terminate_leftovers()

    assert result.status is TaskStatus.COMPLETED
    refunds = await pool.fetch("SELECT amount FROM shop.refunds WHERE order_id = $1", order_id)
    assert [r["amount"] for r in refunds] == [Decimal(150)]
    kinds = [e["kind"] for e in await trail(pool, handle.id)]
    # Flood signals in that first workflow task are refused again by the reset run: at least 40.
    assert kinds.count("decision_accepted") == 1 and kinds.count("decision_refused") >= 40
    # The path replays from its history; the continued run decided its changes as it started.
    assert patch_markers(history) == [(DECIDED_AT_START, 1)]
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=TEST_CONVERTER, workflow_runner=SANDBOX, namespace="default"
    )
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None
