"""Stopping a worker lets its in-flight activities finish: an agent call under way when the
worker is told to stop completes and lands in history, instead of being cancelled and redone."""

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from hitl import activity_names
from hitl.client import start_task
from hitl.contracts import AgentTaskInput
from tests.fake_chat_server import FakeChatServer, function_call
from tests.support import assert_eventually, settings_for, unique
from workers.agent import build_agent_worker


def slow_finish(body: dict[str, Any]) -> tuple[int, Any]:
    del body
    time.sleep(2)  # the model thinks while the worker is asked to stop
    return 200, function_call("finish", {"message": "nothing to do"})


async def test_an_agent_call_under_way_finishes_when_its_worker_stops(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    server = FakeChatServer(slow_finish)
    task_queue = unique("tq")
    settings = settings_for(tmp_path, unique("notify"))
    with server.running():
        settings = settings.model_copy(update={"llm_base_url": server.base_url})
        worker = build_agent_worker(ts_env.client, pool, settings, task_queue=task_queue)
        async with worker:
            handle = await start_task(
                ts_env.client,
                AgentTaskInput(
                    task_id=unique("stop"), kind="refund", requester="svc", subject={"order_id": "x"}
                ),
                task_queue=task_queue,
            )
            await assert_eventually(lambda: asyncio.sleep(0, len(server.requests)), lambda n: n == 1)
        # Leaving the block shut the worker down while the model was still answering.
    proposals: set[int] = set()
    outcomes: list[str] = []
    async for event in handle.fetch_history_events():
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            if name == activity_names.PROPOSE:
                proposals.add(event.event_id)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            outcomes += ["completed"] * (
                event.activity_task_completed_event_attributes.scheduled_event_id in proposals
            )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            outcomes += ["failed"] * (
                event.activity_task_failed_event_attributes.scheduled_event_id in proposals
            )
    assert (len(proposals), outcomes, len(server.requests)) == (1, ["completed"], 1)
    await handle.terminate(reason="test finished")
