"""Calls to the agent activities from workflow code.

An agent activity that fails all its retries (endpoint down, a rejected key, answers that are not
one valid function call) opens an incident gate: `retry` asks again, `skip` goes on without this
answer, `abort` ends the task and undoes its executed steps in reverse. The failure and the
decision are audited like any other. All I/O happens in activities.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import (
        AgentTurn,
        AuditKind,
        Outcome,
        ProposedAction,
        ProposeInput,
        ReviseInput,
        TaskStatus,
        TurnKind,
    )

from workflows import incidents, options
from workflows.task_state import TaskEnded, TaskState


async def propose(state: TaskState, step: int, *, closing: bool = False) -> AgentTurn:
    """Ask the agent for its next action (or, when closing, its closing message).

    Raises:
        TaskEnded: The agent failed and a reviewer aborted the task.
        ActivityError: The agent failed to write its closing message (no gate for that).
    """
    task = state.task
    request = ProposeInput(
        task_id=task.task_id,
        kind=task.kind,
        subject=task.subject,
        history=state.history,
        next_step=step,
        closing=closing,
    )
    summary = "agent closes the task" if closing else f"agent proposes step {step}"
    if closing:
        return await _call(activity_names.PROPOSE, request, summary)
    turn = await _gated(state, step, activity_names.PROPOSE, request, summary)
    if turn is None:
        message = f"the agent failed at step {step}; a reviewer skipped the rest of the task"
        return AgentTurn(kind=TurnKind.DONE, message=message)
    return turn


async def revise(state: TaskState, action: ProposedAction, comment: str) -> AgentTurn:
    """Ask the agent to revise an action a reviewer sent back with a comment; when the agent
    fails and a reviewer skips, the action is withdrawn (`done`).

    Raises:
        TaskEnded: The agent failed and a reviewer aborted the task.
    """
    task = state.task
    request = ReviseInput(
        task_id=task.task_id,
        kind=task.kind,
        subject=task.subject,
        action=action,
        comment=comment,
        history=state.history,
    )
    summary = f"agent revises step {action.step}"
    turn = await _gated(state, action.step, activity_names.REVISE, request, summary)
    return turn or AgentTurn(kind=TurnKind.DONE, message="the agent failed to revise; a reviewer skipped it")


async def _call(activity: str, request: ProposeInput | ReviseInput, summary: str) -> AgentTurn:
    turn: AgentTurn = await workflow.execute_activity(
        activity,
        request,
        result_type=AgentTurn,
        start_to_close_timeout=options.AGENT_TIMEOUT,
        heartbeat_timeout=options.AGENT_HEARTBEAT,
        retry_policy=options.AGENT_RETRY,
        summary=summary,
    )
    return turn


async def _gated(
    state: TaskState, step: int, activity: str, request: ProposeInput | ReviseInput, summary: str
) -> AgentTurn | None:
    """The agent's answer, with an incident gate after each failure; None when a reviewer skips."""
    while True:
        try:
            return await _call(activity, request, summary)
        except ActivityError as err:
            message = str(err.cause or err)
            state.audit.record(AuditKind.FAILED, "system", step=step, tool=activity, error=message)
            resolution = await incidents.ask(state, ProposedAction(step=step, tool=activity), None, message)
            if resolution.outcome is Outcome.RETRY:
                continue
            if resolution.outcome is Outcome.SKIP:
                return None
            reason = resolution.comment or f"aborted after the agent failed: {message}"
            raise TaskEnded(TaskStatus.ABORTED, reason) from err
