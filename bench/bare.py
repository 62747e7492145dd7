"""The baseline's worker: `BareAgentWorkflow` with the refund agent and tools, run as its own
process (`python -m bench.bare ADDRESS TASK_QUEUE DSN`) with the agent worker's options, so that it
is measured the way the agent worker is. It also runs the floors (`bench/floor_workflow.py`)
with its stand-in activities, and a second worker for the floor's notices on their own task queue.
"""

import sys

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities.agent.activities import AgentActivities
from activities.agent.refund_rules import RefundRulesAgent
from activities.tools.refund import RefundTools
from bench.bare_workflow import BareAgentWorkflow
from bench.floor_workflow import (
    FLOOR_NOOP,
    FLOOR_NOTICE,
    FLOOR_NOTICE_QUEUE,
    FloorAgentWorkflow,
    GateOnlyFloorWorkflow,
    Nothing,
)
from hitl.clean_exit import run_and_exit
from hitl.codec import encrypted_data_converter
from hitl.settings import AgentWorkerSettings, LoggingSettings
from store.db import create_pool
from workers.agent import worker_tuning
from workers.running import configure_logging, run_until_stopped


@activity.defn(name=FLOOR_NOOP)
async def floor_noop(nothing: Nothing) -> Nothing:
    """The floor's policy load and facts: no work."""
    return nothing


@activity.defn(name=FLOOR_NOTICE)
async def floor_notice(nothing: Nothing) -> Nothing:
    """The floor's notice to reviewers: no work."""
    return nothing


async def main() -> int:
    configure_logging(LoggingSettings.from_env())
    address, task_queue, dsn = sys.argv[1], sys.argv[2], sys.argv[3]
    client = await Client.connect(address, data_converter=encrypted_data_converter())
    pool = await create_pool(dsn)
    try:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[BareAgentWorkflow, FloorAgentWorkflow, GateOnlyFloorWorkflow],
            activities=[
                AgentActivities({"refund": RefundRulesAgent()}).propose,
                *RefundTools(pool).activities(),
                floor_noop,
            ],
            **worker_tuning(AgentWorkerSettings.from_env()),
        )
        async with Worker(client, task_queue=FLOOR_NOTICE_QUEUE, activities=[floor_notice]):
            await run_until_stopped(worker)
    finally:
        await pool.close()
    return 0


if __name__ == "__main__":
    run_and_exit(main())
