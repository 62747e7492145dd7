"""The floor: what this gate's features add to the bare loop on the server, with no work behind them.

`FloorAgentWorkflow` is `BareAgentWorkflow` plus the commands the gate's features issue, each
doing nothing on the worker: a local activity that stands for the pinned policy's load at the
start and one for the facts of every proposed action (the policy judges facts, not the agent's
claims); at the gate, the open request published for the inbox (memo and search attributes, in
one workflow task), the SLA timer, and one notice to reviewers run on another worker's task queue
(not waited for before the action, as in the gate); at the decision, the request withdrawn from
the inbox and the timer cancelled. No audit writes (the gate's write-ahead batches ride in the
tool calls; its other audit activities are left out), no decision notice, no signature check, no
policy evaluation.

What the floor costs against bare, measured in the same run (`python -m bench.gate_vs_bare
--floor`), is what a gate of this shape costs at the least on this server. It is not a bound on
every possible gate: another shape (the SLA deadline swept from outside, the notice sent from an
activity the task already runs) issues fewer commands. `GateOnlyFloorWorkflow` drops the reads as
well (as if the policy and the facts rode in the agent's own activity), leaving only the gate:
the request published, the timer and the notice.
"""

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from hitl import search_attributes as sa
    from hitl.contracts.inbox import QUEUE_MEMO

from bench.bare_workflow import BareAgentWorkflow, BareResult, BareTask

FLOOR_WORKFLOW = "FloorAgentWorkflow"
GATE_ONLY_FLOOR_WORKFLOW = "GateOnlyFloorWorkflow"
FLOOR_NOOP = "floor_noop"
"""The local activity that stands for the policy load and for each action's facts."""
FLOOR_NOTICE = "floor_notice"
"""The notice to reviewers, on `FLOOR_NOTICE_QUEUE` (another worker, as the notification worker)."""
FLOOR_NOTICE_QUEUE = "bench-floor-notify"
SLA = timedelta(hours=4)
"""The refund policy's review window."""


class Nothing(BaseModel):
    """What the floor's stand-in activities take and return."""

    note: str = ""


@workflow.defn(name=FLOOR_WORKFLOW)
class FloorAgentWorkflow(BareAgentWorkflow):
    """The bare loop with the gate's unavoidable commands and none of its work."""

    @workflow.run
    async def run(self, task: BareTask) -> BareResult:
        return await self.loop(task)

    reads = True
    """Whether the policy load and the facts run as local activities of their own (they could
    ride in the agent's activity instead: `GateOnlyFloorWorkflow`)."""

    async def started(self) -> None:
        if self.reads:
            await self._local()  # the pinned policy

    async def proposed(self) -> None:
        if self.reads:
            await self._local()  # the action's facts

    async def wait_for_go(self, task_id: str) -> None:
        workflow.upsert_memo({QUEUE_MEMO: [{"task_id": task_id, "request_id": "r1"}]})
        workflow.upsert_search_attributes(
            [
                sa.HITL_STATUS.value_set("waiting"),
                sa.HITL_ASSIGNEES.value_set(["support-leads"]),
                sa.HITL_DEADLINE.value_set(workflow.now() + SLA),
            ]
        )
        workflow.start_activity(
            FLOOR_NOTICE,
            Nothing(note=task_id),
            result_type=Nothing,
            task_queue=FLOOR_NOTICE_QUEUE,
            start_to_close_timeout=timedelta(seconds=30),
        )
        try:
            await workflow.wait_condition(lambda: self._go, timeout=SLA)
        except TimeoutError as late:
            raise ApplicationError("no decision within the review window", non_retryable=True) from late
        workflow.upsert_memo({QUEUE_MEMO: []})
        workflow.upsert_search_attributes([sa.HITL_STATUS.value_set(sa.RUNNING)])

    async def _local(self) -> None:
        await workflow.execute_local_activity(
            FLOOR_NOOP, Nothing(), result_type=Nothing, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name=GATE_ONLY_FLOOR_WORKFLOW)
class GateOnlyFloorWorkflow(FloorAgentWorkflow):
    """The floor without the policy and facts reads (as if they rode in the agent's activity):
    only what the gate itself adds, the request published, the SLA timer and the notice."""

    reads = False

    @workflow.run
    async def run(self, task: BareTask) -> BareResult:
        return await self.loop(task)
