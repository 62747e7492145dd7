"""The agent worker heartbeats for activities scheduled with a heartbeat timeout
(`activities.heartbeat`): one that runs longer than that timeout is not timed out, and one that
ends first sends no heartbeat."""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, Worker

from activities.heartbeat import HeartbeatInterceptor
from tests.support import unique

HEARTBEAT = timedelta(seconds=1)
WORK_SECONDS = 3.0
"""What the activity takes: three heartbeat timeouts."""


@activity.defn(name="slow_work")
async def slow_work(seconds: float) -> str:
    await asyncio.sleep(seconds)  # the work itself, not a synchronisation
    return "done"


@workflow.defn(name="SlowWork")
class SlowWork:
    @workflow.run
    async def run(self, seconds: float) -> str:
        result: str = await workflow.execute_activity(
            slow_work,
            seconds,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        return result


async def run_slow_work(env: WorkflowEnvironment, interceptors: list[Interceptor]) -> str:
    queue = unique("tq")
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SlowWork],
        activities=[slow_work],
        interceptors=interceptors,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result: str = await env.client.execute_workflow(
            SlowWork.run, WORK_SECONDS, id=unique("slow"), task_queue=queue
        )
        return result


async def test_an_activity_longer_than_its_heartbeat_timeout_completes(dev_env: WorkflowEnvironment) -> None:
    assert await run_slow_work(dev_env, [HeartbeatInterceptor()]) == "done"


async def test_without_heartbeats_it_times_out(dev_env: WorkflowEnvironment) -> None:
    """The control: the same activity on a worker without the interceptor."""
    try:
        await run_slow_work(dev_env, [])
    except Exception as err:  # WorkflowFailureError caused by the heartbeat timeout
        assert isinstance(err.__cause__, ActivityError)
    else:
        raise AssertionError("the activity should have timed out without heartbeats")
