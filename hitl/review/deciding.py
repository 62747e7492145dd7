"""Send one decision through the validated `decide` update and classify the answer.

The update answers at once: accepted (or a duplicate of a decision already applied), refused
by the gate with its code, or not deliverable (no such task, task already closed, Temporal or
the task's worker not answering).
"""

import asyncio
from datetime import timedelta
from enum import StrEnum

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from hitl.client import decide
from hitl.contracts import Decision
from hitl.contracts.base import Contract

DEFAULT_TIMEOUT = timedelta(seconds=30)
"""How long to wait for the task's worker to answer the update."""


class Answer(StrEnum):
    """How a decision sent as an update ended."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    CLOSED = "closed"
    UNAVAILABLE = "unavailable"


class DecideAnswer(Contract):
    """The classified answer to one decision."""

    answer: Answer
    code: str = ""
    """The gate's refusal code (`over_limit`, ...), or `request_closed` for a finished task."""
    message: str = ""
    request_id: str | None = None
    decision_id: str | None = None


def no_answer(wait_for: timedelta) -> str:
    """What the reviewer is told when the task's worker does not answer in time."""
    return f"no answer within {wait_for.total_seconds():g} s: is the agent worker running?"


async def send_decision(
    client: Client, workflow_id: str, decision: Decision, wait_for: timedelta = DEFAULT_TIMEOUT
) -> DecideAnswer:
    """Send `decision` to the task `workflow_id` as an update; never raises for gate answers.

    Raises:
        temporalio.service.RPCError: Temporal failed in a way that is not about this task.
    """
    try:
        receipt = await asyncio.wait_for(decide(client, workflow_id, decision), wait_for.total_seconds())
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # wait_for cancels the update call, and the SDK reports the cancellation as its own error.
        return DecideAnswer(answer=Answer.UNAVAILABLE, message=no_answer(wait_for))
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            return DecideAnswer(
                answer=Answer.REFUSED,
                code=cause.type or "refused",
                message=cause.message,
                request_id=decision.request_id,
                decision_id=decision.decision_id,
            )
        return DecideAnswer(answer=Answer.REFUSED, code="refused", message=str(cause or err))
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return await _missing_or_closed(client, workflow_id, err)
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return DecideAnswer(answer=Answer.UNAVAILABLE, message=f"Temporal is unavailable: {err.message}")
        raise
    if receipt.duplicate:
        # The same decision again: if the task has ended since, nothing waits for a decision.
        ended = await _ended(client, workflow_id)
        if ended is not None:
            return ended
    return DecideAnswer(
        answer=Answer.DUPLICATE if receipt.duplicate else Answer.ACCEPTED,
        message=receipt.message,
        request_id=receipt.request_id,
        decision_id=receipt.decision_id,
    )


async def _ended(client: Client, workflow_id: str) -> DecideAnswer | None:
    """The `closed` answer when the task has ended, else None."""
    description = await client.get_workflow_handle(workflow_id).describe()
    if description.status is WorkflowExecutionStatus.RUNNING:
        return None
    return _closed(workflow_id, description.status)


def _closed(workflow_id: str, status: WorkflowExecutionStatus | None) -> DecideAnswer:
    ended = status.name.lower() if status else "closed"
    return DecideAnswer(
        answer=Answer.CLOSED,
        code="request_closed",
        message=f"task {workflow_id!r} has already ended ({ended}); nothing is waiting for a decision",
    )


async def _missing_or_closed(client: Client, workflow_id: str, err: RPCError) -> DecideAnswer:
    """Tell an unknown task from a finished one (both answer an update with NOT_FOUND)."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return DecideAnswer(answer=Answer.NOT_FOUND, message=f"no task with workflow id {workflow_id!r}")
    if description.status is WorkflowExecutionStatus.RUNNING:
        return DecideAnswer(answer=Answer.NOT_FOUND, message=err.message)
    return _closed(workflow_id, description.status)
