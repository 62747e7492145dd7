"""A finished task's result lists the decisions it answered, so a batch report reads a finished
task's answer from its history with no worker running (issue 15: in a batch larger than the
worker's cache, a status query to each finished task replayed it)."""

import time
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from hitl.contracts import Decision, DecisionAnswer, TaskStatus
from hitl.review import batch
from tests.support import running_workers, settings_for, unique
from tests.workflow.conftest import Harness


async def test_a_finished_tasks_batch_answer_comes_from_its_result_without_a_worker(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, unique("notify"))
    h = Harness(ts_env, pool, unique("tq"), settings.outbox, settings.policy_dir)
    refused_id, approved_id = unique("unsigned"), unique("approved")
    async with running_workers(ts_env.client, pool, settings, h.task_queue):
        handle = await h.refund_task(250)
        await h.wait_request(handle, "approval-1")
        await h.decide(handle, signed=False, outcome="approve", reviewer="alice", decision_id=refused_id)
        await h.decide(handle, outcome="approve", reviewer="alice", decision_id=approved_id)
        result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    assert [(a.decision_id, a.accepted, a.code) for a in result.answers] == [
        (approved_id, True, ""),
        (refused_id, False, "unverified"),
    ]
    assert isinstance(result.answers[0], DecisionAnswer) and result.answers[0].request_id == "approval-1"

    assert (result.answers[0].reviewer, result.answers[0].outcome) == ("alice", "approve")

    # No worker polls the task queue now: a status query could not be answered.
    monkeypatch.setattr(batch, "REPORT_WITHIN", 8.0)
    approved = Decision(outcome="approve", reviewer="alice", decision_id=approved_id)
    items = await batch.collect(ts_env.client, [handle.id, handle.id], approved)
    assert [(i.answer, i.request_id) for i in items] == [("accepted", "approval-1")] * 2
    (refused,) = await batch.collect(
        ts_env.client, [handle.id], approved.model_copy(update={"decision_id": refused_id})
    )
    assert (refused.answer, refused.code) == ("refused", "unverified")

    # Another decision sent with the batch's id (a reject by carol, say) is not reported as the
    # batch's own: the task applied someone else's.
    (reused,) = await batch.collect(
        ts_env.client, [handle.id], Decision(outcome="reject", reviewer="carol", decision_id=approved_id)
    )
    assert (reused.answer, reused.code) == ("unknown", "decision_id_reused")
    assert "approve by alice" in reused.message

    # A task that ended without the decision says so at once, without waiting out the report.
    began = time.monotonic()
    (ended,) = await batch.collect(
        ts_env.client, [handle.id], approved.model_copy(update={"decision_id": unique("late")})
    )
    assert (ended.answer, ended.message) == (
        "unknown",
        f"{batch.ENDED} (it finished before the decision reached it)",
    )
    assert time.monotonic() - began < 5
