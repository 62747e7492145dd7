"""`AgentTaskWorkflow`: one agent task, each proposed action classified by policy and, when the
policy says so, stopped at a human gate.

The agent proposes (an activity); the base (`GatedWorkflow`) judges and carries out each action,
and winds the task down (undo in reverse) on a rejection, an aborted incident or a cancellation.
All I/O happens in activities.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.tools.refund import REFUND_TOOLBOX
    from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus, TurnKind
    from hitl.names import AGENT_TASK_WORKFLOW

from workflows import agent_calls
from workflows.gated import GatedWorkflow
from workflows.task_state import TaskEnded


@workflow.defn(name=AGENT_TASK_WORKFLOW)
class AgentTaskWorkflow(GatedWorkflow):
    """Runs one agent task under a policy, with a human gate for risky actions."""

    toolbox = REFUND_TOOLBOX
    revisable = True
    continues = True

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the task to a final status."""
        return await self.run_task(task, self._agent_loop(task))

    async def _agent_loop(self, task: AgentTaskInput) -> str:
        """Ask the agent for actions until it is done; returns its closing message."""
        state = self._running()
        carried = task.carry
        if carried is not None and carried.parked is not None:
            # The earlier run continued as new while this step waited at a gate.
            await self.flow.resume(carried.parked)
        # `max_steps` caps the task's steps in total, across continuations.
        for step in range(carried.next_step if carried is not None else 0, task.max_steps):
            await self.continuation.between_steps(step)
            turn = await agent_calls.propose(state, step)
            if turn.kind is TurnKind.DONE or turn.action is None:
                return turn.message
            await self.flow.handle(turn.action.model_copy(update={"step": step}))
        raise TaskEnded(TaskStatus.FAILED, f"the agent did not finish within {task.max_steps} steps")

    async def closing_message(self) -> str:
        """The agent's closing message after a wind-down (none if the agent cannot answer)."""
        state = self._running()
        try:
            turn = await agent_calls.propose(state, len(state.history), closing=True)
        except ActivityError:
            workflow.logger.warning("the agent could not write a closing message for %s", state.task.task_id)
            return ""
        return turn.message
