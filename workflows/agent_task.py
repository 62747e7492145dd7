"""`AgentTaskWorkflow`: one agent task, each proposed action classified by policy and, when the
policy says so, stopped at a human gate.

Loads and pins the policy (through an activity, so it is in history), then loops: the agent
proposes; the step flow classifies and carries out the action. A rejection, an aborted incident
or a cancellation undoes the executed steps in reverse order. All I/O happens in activities.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AgentTaskInput,
        StepOutcome,
        TaskResult,
        TaskStatus,
        TurnKind,
    )
    from hitl.names import AGENT_TASK_WORKFLOW
    from hitl.tools import TOOLBOX

from workflows import agent_calls, lifecycle
from workflows.audit_log import AuditLog
from workflows.gate.gate import HumanGate
from workflows.gate.handlers import GatedWorkflow
from workflows.post_review import PostReviews
from workflows.step_flow import StepFlow
from workflows.task_state import TaskEnded, TaskState
from workflows.tool_runner import ToolRunner


@workflow.defn(name=AGENT_TASK_WORKFLOW)
class AgentTaskWorkflow(GatedWorkflow):
    """Runs one agent task under a policy, with a human gate for risky actions."""

    state: TaskState

    @workflow.init
    def __init__(self, task: AgentTaskInput) -> None:
        audit = AuditLog(task.task_id)
        self.gate = HumanGate(task.task_id, task.requester, audit)
        self.state = TaskState(task=task, audit=audit, gate=self.gate, tools=ToolRunner(task.task_id, audit))
        self.reviews = PostReviews(self.state)
        self.flow = StepFlow(self.state, self.reviews)

    def status_steps(self) -> list[StepOutcome]:
        """The task's steps so far, for the `status` query."""
        return self.state.steps

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the task to a final status."""
        failed = await lifecycle.begin(self.state, sorted(TOOLBOX))
        if failed is not None:
            return await lifecycle.finish(self.state, failed)
        try:
            message = await self._step_loop()
            await self.reviews.drain()
            result = self.state.result(TaskStatus.COMPLETED, "", message)
        except TaskEnded as ended:
            result = await self._wind_down(ended.status, ended.reason)
        except asyncio.CancelledError:
            result = await self._wind_down(TaskStatus.ABORTED, "the task was cancelled")
        return await lifecycle.finish(self.state, result)

    async def _step_loop(self) -> str:
        task = self.state.task
        for step in range(task.max_steps):
            turn = await agent_calls.propose(self.state, step)
            if turn.kind is TurnKind.DONE or turn.action is None:
                return turn.message
            await self.flow.handle(turn.action.model_copy(update={"step": step}))
        raise TaskEnded(TaskStatus.FAILED, f"the agent did not finish within {task.max_steps} steps")

    async def _wind_down(self, status: TaskStatus, reason: str) -> TaskResult:
        """Withdraw open reviews, undo executed steps in reverse, let the agent close."""
        status = await lifecycle.wind_down(self.state, self.reviews, status, reason)
        message = ""
        try:
            turn = await agent_calls.propose(self.state, len(self.state.history), closing=True)
            message = turn.message
        except ActivityError:
            workflow.logger.warning(
                "the agent could not write a closing message for %s", self.state.task.task_id
            )
        return self.state.result(status, reason, message)
