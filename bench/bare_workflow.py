"""The baseline workflow: the same refund agent and tools on bare Temporal, without the control plane.

`BareAgentWorkflow` runs the rules-based refund agent's loop (propose, run the tool, repeat) with
the same activities and the same idempotency keys as `AgentTaskWorkflow`, but no policy, no audit
trail, no notices and no gate: when `wait_before_refund` is set it marks itself waiting (the same
`HitlStatus` search attribute a gate sets) and waits for a `go` signal before the refund, which
is what a team would write by hand. The difference between the two is what the control plane
costs. All I/O happens in activities.
"""

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tools.refund import ISSUE_REFUND, REFUND_TOOLBOX
    from hitl import activity_names
    from hitl import search_attributes as sa
    from hitl.contracts import AgentTurn, ProposeInput, StepRecord, ToolCall, ToolResult, TurnKind

from workflows import options

BARE_WORKFLOW = "BareAgentWorkflow"


class Go(BaseModel):
    """The signal that releases the waiting refund."""

    note: str = ""


class BareTask(BaseModel):
    """A refund task as the bare loop takes it."""

    task_id: str
    subject: dict[str, object]
    wait_before_refund: bool = True


class BareResult(BaseModel):
    """The agent's closing message and how many tools ran."""

    message: str
    steps: int


@workflow.defn(name=BARE_WORKFLOW)
class BareAgentWorkflow:
    """The refund agent's loop with no control plane; optionally waits for `go` before the refund."""

    def __init__(self) -> None:
        self._go = False

    @workflow.signal(name="go")
    def go(self, signal: Go) -> None:
        del signal
        self._go = True

    @workflow.run
    async def run(self, task: BareTask) -> BareResult:
        return await self.loop(task)

    async def started(self) -> None:
        """What runs before the first turn (nothing here)."""

    async def proposed(self) -> None:
        """What runs once an action is proposed, before it runs or waits (nothing here)."""

    async def wait_for_go(self, task_id: str) -> None:
        """Mark the task waiting, wait for `go`, mark it running."""
        del task_id
        workflow.upsert_search_attributes([sa.HITL_STATUS.value_set("waiting")])
        await workflow.wait_condition(lambda: self._go)
        workflow.upsert_search_attributes([sa.HITL_STATUS.value_set("running")])

    async def loop(self, task: BareTask) -> BareResult:
        """Propose, run the tool, repeat; wait for `go` before the refund when told to."""
        await self.started()
        history: list[StepRecord] = []
        for step in range(10):
            turn: AgentTurn = await workflow.execute_activity(
                activity_names.PROPOSE,
                ProposeInput(
                    task_id=task.task_id, kind="refund", subject=task.subject, history=history, next_step=step
                ),
                result_type=AgentTurn,
                start_to_close_timeout=options.AGENT_TIMEOUT,
                retry_policy=options.AGENT_RETRY,
            )
            if turn.kind is TurnKind.DONE or turn.action is None:
                return BareResult(message=turn.message, steps=step)
            action = turn.action
            await self.proposed()
            if task.wait_before_refund and action.tool == ISSUE_REFUND:
                await self.wait_for_go(task.task_id)
            spec = REFUND_TOOLBOX.get(action.tool)
            assert spec is not None
            result: ToolResult = await workflow.execute_activity(
                spec.activity,
                ToolCall[spec.args_model](  # type: ignore[name-defined]
                    key=f"{task.task_id}/step-{step}", task_id=task.task_id, step=step, args=action.args
                ),
                result_type=ToolResult,
                start_to_close_timeout=options.TOOL_TIMEOUT,
                retry_policy=options.TOOL_RETRY,
            )
            history.append(
                StepRecord(
                    step=step, tool=action.tool, status="executed", args=action.args, output=result.output
                )
            )
        return BareResult(message="too many steps", steps=10)
