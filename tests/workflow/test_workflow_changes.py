"""A gated workflow changed while runs of it are open (`GatedWorkflow.changes`, `changed()`): a run
that started before the change keeps its steps, a run that starts after takes it, and the answer
is the same on replay wherever the run's workflow tasks split (the change is asked right after the
policy's local activity, as a workflow's steps may ask it after any action's facts)."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start
from hitl.contracts import TaskResult, TaskStatus
from tests.codec_keys import TEST_CONVERTER
from tests.history_surgery import local_results_mid_task, split_after
from tests.patch_markers import patch_markers
from tests.support import settings_for, unique
from tests.workflow.conftest import Harness
from workers.agent import build_agent_worker
from workers.notification import build_notification_worker
from workflows.account_deletion import AccountDeletionInput, AccountDeletionWorkflow
from workflows.patches import DECIDED_AT_START

CHANGED = "ChangedAccountDeletion"
CHANGE = "pause-before-closing"
RECORDED = Path(__file__).parents[1] / "histories" / "account_deleted.json"


@workflow.defn(name=CHANGED, sandboxed=False)
class ChangedAccountDeletion(AccountDeletionWorkflow):
    """The account deletion after a change to its steps (a pause once the account is deleted),
    under a type name of its own (the registry runs only the `workflows` package's own)."""

    changes = (CHANGE,)

    @workflow.run
    async def run(self, request: AccountDeletionInput) -> TaskResult:
        return await self.run_task(request, self.delete(request))

    async def delete(self, request: AccountDeletionInput) -> str:
        # Asked as the steps begin: in the workflow task the policy's local activity answered in.
        pause = self.changed(CHANGE)
        message = await super().delete(request)
        if pause:
            await workflow.sleep(timedelta(seconds=1))
        return message


@workflow.defn(name=CHANGED, sandboxed=False)
class RetiredChangeDeletion(AccountDeletionWorkflow):
    """The same workflow once no run from before the change is open: the old steps are gone and
    the change is retired."""

    retired_changes = (CHANGE,)

    @workflow.run
    async def run(self, request: AccountDeletionInput) -> TaskResult:
        return await self.run_task(request, self.delete(request))

    async def delete(self, request: AccountDeletionInput) -> str:
        message = await super().delete(request)
        await workflow.sleep(timedelta(seconds=1))
        return message


async def replays(cls: type[Any], workflow_id: str, history: dict[str, Any]) -> str | None:
    """The failure replaying `history` on `cls` met, or None."""
    replayer = Replayer(
        workflows=[cls],
        data_converter=TEST_CONVERTER,
        workflow_runner=UnsandboxedWorkflowRunner(),
        namespace="default",  # the namespace the run was signed in
    )
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(workflow_id, json.dumps(history)), raise_on_replay_failure=False
    )
    return None if result.replay_failure is None else str(result.replay_failure)


async def test_a_run_that_started_before_the_change_keeps_its_steps() -> None:
    history = json.loads(RECORDED.read_text())
    history["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] = CHANGED
    # Had it taken the change, its timer would be a command its history does not hold.
    assert await replays(ChangedAccountDeletion, RECORDED.stem, history) is None


async def test_a_run_that_starts_after_it_takes_it_and_replays_wherever_its_tasks_split(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    cls = ChangedAccountDeletion
    settings = settings_for(tmp_path, unique("notify"))
    task_queue = unique("tq")
    h = Harness(ts_env, pool, task_queue, settings.outbox, settings.policy_dir)
    email = f"{unique('cust')}@example.com"
    await seed_orders(pool, [DemoOrder(order_id=unique("ord"), customer_email=email, total=Decimal(10))])
    request = AccountDeletionInput(
        request_id=h.task_id("del"), customer_email=email, requester="svc-privacy", reason="customer asked"
    )
    agent = build_agent_worker(ts_env.client, pool, settings, task_queue=task_queue, workflows=[cls])
    async with agent, build_notification_worker(ts_env.client, settings):
        handle = await start(ts_env.client, cls, request, task_queue=task_queue)
        h.started.append(handle)
        try:
            await h.wait_request(handle, "approval-1")
            await h.decide(handle, outcome="approve", reviewer="erin")
            result = await handle.result()
        finally:
            await h.terminate_leftovers()
    assert (result.status, result.message) == (TaskStatus.COMPLETED, "deleted: 1 orders erased")

    history = await handle.fetch_history()
    assert patch_markers(history) == [(DECIDED_AT_START, 1), (CHANGE, 1)]
    recorded = json.loads(history.to_json())
    timers = [
        e["timerStartedEventAttributes"] for e in recorded["events"] if "timerStartedEventAttributes" in e
    ]
    assert [t["startToFireTimeout"] for t in timers].count("1s") == 1  # the change's pause
    splits = local_results_mid_task(recorded)
    assert splits
    for event_id in splits:
        assert await replays(cls, handle.id, split_after(recorded, event_id)) is None, event_id
    # Its marker is still in history once the change is retired: the code that took it replays.
    assert await replays(RetiredChangeDeletion, handle.id, recorded) is None
