"""A channel's rate limit holds across notification worker replicas (issue 14, many workers).

Two real notification worker processes poll the same queues of a real dev server; a workflow
sends N Slack notices at once on the Slack channel's queue (the queue the gate uses), and the
stand-in Slack endpoint records when each arrives. Each process also limits itself (a token
bucket with a burst of `BURST`); with only that, two replicas deliver twice the rate.
"""

import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from hitl import activity_names
from hitl.contracts import Notice, NoticeKind, NotifyResult
from hitl.names import channel_queue
from tests.fake_chat_server import FakeChatServer
from tests.support import unique
from workers.local.processes import Child

pytestmark = pytest.mark.integration

RATE = 2.0
"""Slack notices per second, set for both replicas."""
N = 24
BURST = 5
"""Saved-up sends one process allows at once (`ChannelRateLimiter`'s burst): the tolerance."""


@workflow.defn(name="NotifyFanOut")
class NotifyFanOut:
    """Sends `count` notices at once on a queue and waits for all of them."""

    @workflow.run
    async def run(self, queue: str, count: int) -> int:
        calls = [
            workflow.execute_activity(
                activity_names.NOTIFY,
                Notice(
                    notice_key=f"fan-out/{i}",
                    kind=NoticeKind.NEW_REQUEST,
                    task_id="rate-test",
                    request_id=f"r{i}",
                    groups=["support-leads"],
                    title=f"notice {i}",
                    summary="a refund waits",
                    channel="slack",
                ),
                result_type=NotifyResult,
                task_queue=queue,
                start_to_close_timeout=timedelta(seconds=30),
            )
            for i in range(count)
        ]
        return len(await asyncio.gather(*calls))


async def test_notification_rate_limit_across_replicas(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    arrivals: list[float] = []

    def slack(body: dict[str, Any]) -> tuple[int, Any]:
        arrivals.append(time.monotonic())
        return 200, "ok"

    notify_queue = unique("notify")
    env = {
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "HITL_NOTIFY_TASK_QUEUE": notify_queue,
        "HITL_NOTIFY_RATES": f"slack={RATE:g}",
        "HITL_OUTBOX": str(tmp_path / "outbox.jsonl"),
    }
    with FakeChatServer(slack).running() as fake:
        replicas = [
            Child(
                f"notify-{i}",
                [sys.executable, "-m", "workers.notification"],
                tmp_path / f"notify-{i}.log",
                {**env, "HITL_SLACK_WEBHOOK_URL": fake.base_url},
            ).start()
            for i in range(2)
        ]
        try:
            queue = unique("tq")
            async with Worker(
                dev_env.client,
                task_queue=queue,
                workflows=[NotifyFanOut],
                workflow_runner=UnsandboxedWorkflowRunner(),
            ):
                handle = await dev_env.client.start_workflow(
                    NotifyFanOut.run,
                    args=[channel_queue(notify_queue, "slack"), N],
                    id=unique("fan-out"),
                    task_queue=queue,
                )
                assert await handle.result() == N
                pollers = {
                    event.activity_task_started_event_attributes.identity
                    async for event in handle.fetch_history_events()
                    if event.event_type is EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
                }
        finally:
            for child in replicas:
                child.stop()
    assert len(pollers) == 2, f"both replicas should have delivered: {pollers}"
    assert len(arrivals) == N
    # At `RATE` a second, with each replica's saved-up `BURST` spent at once, N sends span at least
    # (N - 1 - 2 x BURST) / RATE: 6.5 s. Each replica limiting only itself delivers at 2 x RATE: half
    # that. (A bound of one BURST, 9 s, failed a full run at 8.85 s: the second replica's own burst.)
    span = arrivals[-1] - arrivals[0]
    assert span >= (N - 1 - 2 * BURST) / RATE, f"{N} Slack notices in {span:.1f} s: faster than {RATE}/s"
