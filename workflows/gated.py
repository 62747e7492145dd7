"""`GatedWorkflow`: the base of every gated workflow. A subclass declares its toolbox and writes
only its own steps; the base owns the rest.

```python
@workflow.defn(name="AccountDeletionWorkflow")
class AccountDeletionWorkflow(GatedWorkflow):
    toolbox = ACCOUNT_TOOLBOX

    @workflow.run
    async def run(self, request: AccountDeletionInput) -> TaskResult:
        return await self.run_task(request, self.delete(request))

    async def delete(self, request: AccountDeletionInput) -> str:
        await self.act(ProposedAction(tool=DELETE_ACCOUNT, args={...}, summary="..."))
        return "deleted"
```

The base pins the policy and autonomy stages (through an activity, so they are in history),
judges each action with the policy and carries it out (execute, sampled post-hoc review, human
gate, question, block), answers decisions and queries, audits everything, and on a rejection,
an aborted incident or a cancellation undoes executed steps in reverse. The task id is the
workflow id. All I/O happens in activities.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tools.toolset import Toolbox
    from hitl.contracts import GatedInput, ProposedAction, StepOutcome, StepRecord, TaskResult, TaskStatus

from workflows import carry, lifecycle, patches
from workflows.audit_log import AuditLog
from workflows.continuation import Continuation
from workflows.gate.gate import HumanGate
from workflows.gate.handlers import DecisionHandlers
from workflows.post_review import PostReviews
from workflows.step_flow import StepFlow
from workflows.task_state import TaskEnded, TaskState
from workflows.tool_runner import ToolRunner


class GatedWorkflow(DecisionHandlers):
    """Base of gated workflows: set `toolbox`, call `run_task()` from `@workflow.run`."""

    toolbox: ClassVar[Toolbox]
    """The tools this workflow's actions may use; any other tool name is blocked."""
    revisable: ClassVar[bool] = False
    """Whether an agent can revise an action a reviewer sent back (`request_changes`)."""
    sends_back: ClassVar[bool] = False
    """Whether `reject` / `request_changes` return to the caller of `act()` as the step's result
    (agents that revise on their own, such as agent-framework agents) instead of ending the task."""
    cancelled_reason: ClassVar[str] = "the task was cancelled"
    continues: ClassVar[bool] = False
    """Whether the task continues as new when its history grows past its input's thresholds (the
    workflow's steps must pick up from `AgentTaskInput.carry`, as the agent loop does)."""
    changes: ClassVar[tuple[str, ...]] = ()
    """Ids of changes made to this workflow's steps while runs of it may be open, for `changed()`.
    Never reuse or rename one. A run continued as new is a new run: it takes every change, so its
    steps must pick up what an older run carried."""
    retired_changes: ClassVar[tuple[str, ...]] = ()
    """Changes whose old steps are gone (moved here from `changes`, their `changed()` branch
    removed); keep each listed until no run that started before it was retired is open."""

    def __init__(self) -> None:
        # The run's changes are decided here, in its first workflow task (`workflows.patches`).
        patches.decide()
        self._changes = {change: workflow.patched(change) for change in self.changes}
        for change in self.retired_changes:
            workflow.deprecate_patch(change)
        # Built before `run` starts: a decision may arrive in the same workflow task as the start.
        workflow_id = workflow.info().workflow_id
        self.audit = AuditLog(workflow_id)
        self.gate = HumanGate(workflow_id, "", self.audit)
        self.tools = ToolRunner(workflow_id, self.audit)
        self.state: TaskState | None = None

    async def run_task(self, request: GatedInput, steps: Coroutine[Any, Any, str]) -> TaskResult:
        """Pin the context, run `steps` (which returns the task's closing message) and finish.

        `steps` raises `TaskEnded` to end the task early; the base winds it down.
        """
        task = request.as_task()
        self.gate.core.requester = task.requester
        state = self.state = TaskState(task=task, audit=self.audit, gate=self.gate, tools=self.tools)
        self.reviews = PostReviews(state)
        self.flow = StepFlow(
            state, self.reviews, self.toolbox, revisable=self.revisable, sends_back=self.sends_back
        )
        self.continuation = Continuation(state, self.reviews, task.continue_policy)
        if self.continues:
            self.gate.core.continuer = self.continuation
        carried = task.carry if self.continues else None
        if carried is not None:
            carry.resume(state, self.reviews, self.toolbox, carried)
        # A message held by the handlers until now acts on the restored state.
        self.gate.core.start()
        if carried is None:
            failed = await lifecycle.begin(state, self.toolbox.names(), request)
            if failed is not None:
                steps.close()
                return await lifecycle.finish(state, failed)
        try:
            message = await steps
            await self.reviews.drain()
            result = state.result(TaskStatus.COMPLETED, "", message)
        except TaskEnded as ended:
            result = await self._wind_down(ended.status, ended.reason)
        except asyncio.CancelledError:
            result = await self._wind_down(TaskStatus.ABORTED, self.cancelled_reason)
        return await lifecycle.finish(state, result)

    async def act(self, action: ProposedAction) -> StepRecord:
        """Judge one action with the policy and carry it out as the verdict says; returns the step
        as recorded (its `output` when the tool ran). Steps are numbered in order.

        Raises:
            TaskEnded: A reviewer rejected it (unless `sends_back`), or an incident was aborted.
        """
        state = self._running()
        await self.flow.handle(action.model_copy(update={"step": len(state.steps)}))
        return state.history[-1]

    def changed(self, change: str) -> bool:
        """Whether this run takes `change` (listed in `changes`): runs started since it shipped do;
        a run that started before keeps the steps its history holds, to its end.

        Decided as the run starts, not where the steps ask: a step asks after actions whose facts
        were read by local activities, and a `workflow.patched()` call there can answer
        differently on replay (`workflows.patches.DECIDED_AT_START`).

        Raises:
            KeyError: `change` is not listed in `changes` (a bug: the workflow task fails and is
                retried once the code is fixed).
        """
        if change not in self._changes:
            raise KeyError(f"{change!r} is not listed in {type(self).__name__}.changes")
        return self._changes[change]

    def status_steps(self) -> list[StepOutcome]:
        """The task's steps so far, for the `status` query."""
        return self.state.steps if self.state is not None else []

    async def closing_message(self) -> str:
        """The task's closing message after a wind-down (agents write one)."""
        return ""

    async def _wind_down(self, status: TaskStatus, reason: str) -> TaskResult:
        state = self._running()
        status = await lifecycle.wind_down(state, self.reviews, status, reason)
        return state.result(status, reason, await self.closing_message())

    def _running(self) -> TaskState:
        assert self.state is not None, "run_task() has not started"
        return self.state
