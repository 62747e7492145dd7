"""Calls to the agent activities from workflow code. All I/O happens in activities."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import AgentTurn, ProposedAction, ProposeInput, ReviseInput

from workflows import options
from workflows.task_state import TaskState


async def propose(state: TaskState, step: int, *, closing: bool = False) -> AgentTurn:
    """Ask the agent for its next action (or, when closing, its closing message)."""
    task = state.task
    turn: AgentTurn = await workflow.execute_activity(
        activity_names.PROPOSE,
        ProposeInput(
            task_id=task.task_id,
            kind=task.kind,
            subject=task.subject,
            history=state.history,
            next_step=step,
            closing=closing,
        ),
        result_type=AgentTurn,
        start_to_close_timeout=options.AGENT_TIMEOUT,
        retry_policy=options.AGENT_RETRY,
        summary="agent closes the task" if closing else f"agent proposes step {step}",
    )
    return turn


async def revise(state: TaskState, action: ProposedAction, comment: str) -> AgentTurn:
    """Ask the agent to revise an action a reviewer sent back with a comment."""
    task = state.task
    turn: AgentTurn = await workflow.execute_activity(
        activity_names.REVISE,
        ReviseInput(
            task_id=task.task_id,
            kind=task.kind,
            subject=task.subject,
            action=action,
            comment=comment,
            history=state.history,
        ),
        result_type=AgentTurn,
        start_to_close_timeout=options.AGENT_TIMEOUT,
        retry_policy=options.AGENT_RETRY,
        summary=f"agent revises step {action.step}",
    )
    return turn
