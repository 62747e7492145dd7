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
    from hitl import activity_names
    from hitl.contracts import (
        AgentTaskInput,
        AuditKind,
        TaskResult,
        TaskStatus,
        TaskStatusView,
        TurnKind,
    )
    from hitl.contracts.context import LoadTaskContextInput, TaskContext
    from hitl.names import AGENT_TASK_WORKFLOW
    from hitl.tools import TOOLBOX

from workflows import agent_calls, options
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

    @workflow.init
    def __init__(self, task: AgentTaskInput) -> None:
        audit = AuditLog(task.task_id)
        self.gate = HumanGate(task.task_id, task.requester, audit)
        self.state = TaskState(task=task, audit=audit, gate=self.gate, tools=ToolRunner(task.task_id, audit))
        self.reviews = PostReviews(self.state)
        self.flow = StepFlow(self.state, self.reviews)

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the task to a final status."""
        self.gate.idle_note = f"Task `{task.task_id}` ({task.kind}) is running; no decision pending."
        self.gate.publish()
        try:
            context = await self._load_context()
        except ActivityError as err:
            # A missing or broken policy ends the task with the reason; it never fails the workflow.
            return await self._finish(
                self.state.result(TaskStatus.FAILED, f"policy {task.policy!r}: {err.cause or err}")
            )
        self.state.context = context
        self.gate.configure(context, task.kind)
        self.state.audit.record(
            AuditKind.TASK_STARTED,
            task.requester,
            kind=task.kind,
            subject=task.subject,
            policy=context.policy.name,
            policy_hash=context.policy.hash,
        )
        try:
            message = await self._step_loop()
            await self.reviews.drain()
            result = self.state.result(TaskStatus.COMPLETED, "", message)
        except TaskEnded as ended:
            result = await self._wind_down(ended.status, ended.reason)
        except asyncio.CancelledError:
            result = await self._wind_down(TaskStatus.ABORTED, "the task was cancelled")
        return await self._finish(result)

    async def _load_context(self) -> TaskContext:
        context: TaskContext = await workflow.execute_activity(
            activity_names.LOAD_TASK_CONTEXT,
            LoadTaskContextInput(
                policy=self.state.task.policy,
                task_kind=self.state.task.kind,
                action_types=sorted(TOOLBOX),
            ),
            result_type=TaskContext,
            start_to_close_timeout=options.SETUP_TIMEOUT,
            summary=f"load policy {self.state.task.policy}",
        )
        return context

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
        self.reviews.cancel_all()
        await self.reviews.drain()
        undone = await self.state.tools.undo_all(reason)
        if undone:
            status = TaskStatus.COMPENSATED
        message = ""
        try:
            turn = await agent_calls.propose(self.state, len(self.state.history), closing=True)
            message = turn.message
        except ActivityError:
            workflow.logger.warning(
                "the agent could not write a closing message for %s", self.state.task.task_id
            )
        return self.state.result(status, reason, message)

    async def _finish(self, result: TaskResult) -> TaskResult:
        self.gate.status = result.status.value
        self.gate.idle_note = f"Task `{result.task_id}` ended **{result.status.value}**. {result.reason}"
        self.gate.publish()
        self.state.audit.record(
            AuditKind.TASK_FINISHED,
            "system",
            status=result.status.value,
            reason=result.reason,
            message=result.message,
            steps=len(result.steps),
        )
        await self.gate.notifier.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.state.audit.close()
        return result

    def status_view(self) -> TaskStatusView:
        """Steps so far plus the gate's requests, decisions and refusals."""
        context = self.state.context
        return (
            super()
            .status_view()
            .model_copy(
                update={"steps": self.state.steps, "policy_hash": context.policy.hash if context else ""}
            )
        )
