"""The baseline: a bare Temporal workflow that waits for one signal and runs one activity.

Run as its own worker process (`python -m bench.bare ADDRESS TASK_QUEUE`) so that it is measured
the way the agent worker is.
"""

import sys
import time
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from hitl import search_attributes as sa
from hitl.clean_exit import run_and_exit
from hitl.codec import encrypted_data_converter
from hitl.settings import LoggingSettings
from workers.running import configure_logging, run_until_stopped

BARE_WORKFLOW = "BareSignalWorkflow"


class Go(BaseModel):
    """The signal that releases the bare workflow."""

    note: str = ""


class Executed(BaseModel):
    """When the activity ran (epoch seconds, this machine's clock)."""

    at: float


class BareInput(BaseModel):
    """Nothing but an id, so the payload size resembles a small task."""

    name: str


@activity.defn(name="bare_execute")
async def bare_execute(request: BareInput) -> Executed:
    """The one side effect: note the time."""
    del request
    return Executed(at=time.time())


@workflow.defn(name=BARE_WORKFLOW)
class BareSignalWorkflow:
    """Waits for `go`, runs one activity, returns when it ran."""

    def __init__(self) -> None:
        self._go = False

    @workflow.signal(name="go")
    def go(self, signal: Go) -> None:
        del signal
        self._go = True

    @workflow.run
    async def run(self, request: BareInput) -> Executed:
        # Same visibility marker as a gate, so both kinds are found "waiting" the same way.
        workflow.upsert_search_attributes([sa.HITL_STATUS.value_set("waiting")])
        await workflow.wait_condition(lambda: self._go)
        return await workflow.execute_activity(
            bare_execute, request, start_to_close_timeout=timedelta(seconds=30)
        )


async def main() -> int:
    configure_logging(LoggingSettings.from_env())
    address, task_queue = sys.argv[1], sys.argv[2]
    client = await Client.connect(address, data_converter=encrypted_data_converter())
    worker = Worker(client, task_queue=task_queue, workflows=[BareSignalWorkflow], activities=[bare_execute])
    await run_until_stopped(worker)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
