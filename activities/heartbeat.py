"""Heartbeats for every activity scheduled with a heartbeat timeout.

When a worker dies mid-activity, Temporal retries the attempt only once a timeout expires: the
start-to-close timeout (up to 2 minutes for an agent call), or the heartbeat timeout when the
activity has one and stops heartbeating. The workflows give long activities (agent calls, tools)
a short heartbeat timeout (`workflows.options`); this interceptor heartbeats on their behalf at
a third of it while the activity runs, so a live attempt is never timed out and a dead worker's
attempt is retried within the heartbeat timeout. Activities without a heartbeat timeout run as
they are, and one that ends before the first interval sends no heartbeat at all.
"""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

BEATS_PER_TIMEOUT = 3
"""Heartbeats per heartbeat timeout: one late or lost heartbeat does not time a live attempt out."""


class HeartbeatInterceptor(Interceptor):
    """Worker interceptor: heartbeats for activities that have a heartbeat timeout."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Heartbeating(next)


class _Heartbeating(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return await self.next.execute_activity(input)
        return await beating(self.next.execute_activity(input), timeout.total_seconds() / BEATS_PER_TIMEOUT)


async def beating(work: Any, every: float) -> Any:
    """Await `work` (a coroutine), heartbeating every `every` seconds until it ends; cancelling the
    caller cancels the work."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            activity.heartbeat()
    finally:
        if not task.done():
            task.cancel()
