"""Framework tool calls as gated steps, and what the framework's model is told back.

`FrameworkAgentWorkflow` is the base of a workflow that runs an agent written with another
framework. Its `calls` turn each tool call the framework makes into a `ProposedAction` for
`act()` (policy, gate, limits, quorum, audit, feedback, compensation all apply) and render the
step's outcome as the tool's result, under the name of LangChain's human-in-the-loop decision
it amounts to:

| our outcome | decision | the model is told |
|---|---|---|
| approve (or the policy ran it) | `approve` | the tool's output |
| modify | `edit` | the arguments the reviewer set and the tool's output |
| reject, request_changes, blocked | `reject` | the reviewer's comment (or the policy's reason) |
| answer (to a question) | `respond` | the reviewer's answer |

Calls are judged one at a time, in the order the framework made them, so steps are numbered
deterministically even when a framework runs tool calls concurrently. All I/O happens in
activities.
"""

import asyncio
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import ProposedAction, StepRecord, StepStatus, TaskStatus

from workflows.gated import GatedWorkflow
from workflows.task_state import TaskEnded

T = TypeVar("T")


class HitlDecision(StrEnum):
    """LangChain's human-in-the-loop decision types."""

    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    RESPOND = "respond"


@dataclass(frozen=True)
class ToolReply:
    """What became of one framework tool call, for its model."""

    decision: HitlDecision
    text: str
    """The tool's result as the model reads it."""
    step: StepRecord


class GatedCalls:
    """Judges a workflow's framework tool calls one at a time through `act()`."""

    def __init__(self, owner: GatedWorkflow) -> None:
        self._owner = owner
        self._lock = asyncio.Lock()
        self.reasoning = ""
        """The model's latest reasoning (its text beside the tool calls), for the cards."""
        self.ended: TaskEnded | None = None

    async def call(self, tool: str, args: Any, *, rationale: str | None = None) -> ToolReply:
        """Judge and carry out one tool call; returns what to tell the model.

        Raises:
            TaskEnded: An incident gate aborted the task (also kept in `ended`).
        """
        arguments = args if isinstance(args, dict) else {"arguments": args}
        action = ProposedAction(
            tool=tool,
            args=arguments,
            summary=f"{tool}({json.dumps(arguments, sort_keys=True, default=str)})",
            rationale=self.reasoning if rationale is None else rationale,
        )
        async with self._lock:
            try:
                step = await self._owner.act(action)
            except TaskEnded as ended:
                self.ended = ended
                raise
        return reply_for(arguments, step)


def reply_for(proposed: dict[str, Any], step: StepRecord) -> ToolReply:
    """The model's view of a settled step."""
    status = StepStatus(step.status)
    if status is StepStatus.EXECUTED:
        output = json.dumps(step.output, sort_keys=True, default=str)
        if step.args != proposed:
            edited = json.dumps(step.args, sort_keys=True, default=str)
            return ToolReply(
                HitlDecision.EDIT, f"A reviewer edited the call to {edited}. Result: {output}", step
            )
        return ToolReply(HitlDecision.APPROVE, output, step)
    if status is StepStatus.CLARIFIED:
        return ToolReply(HitlDecision.RESPOND, f"A reviewer answered: {step.feedback}", step)
    why = {
        StepStatus.REJECTED: "This call was rejected",
        StepStatus.SKIPPED: "A reviewer asked for changes to this call",
        StepStatus.BLOCKED: "The policy refused this call",
        StepStatus.FAILED: "This call could not run",
    }.get(status, f"This call ended {status.value}")
    return ToolReply(HitlDecision.REJECT, f"{why}: {step.feedback}. It did not run.", step)


class FrameworkAgentWorkflow(GatedWorkflow):
    """Base of workflows whose agent is written with another framework: a rejected or sent-back
    call returns to the framework's model as the tool's result, and the model revises."""

    revisable = True
    sends_back = True

    def __init__(self) -> None:
        super().__init__()
        self.calls = GatedCalls(self)

    async def run_agent(self, run: Awaitable[T]) -> T:
        """Await the framework's run, carrying the task's end through the framework's own error
        wrapping; any other framework error fails the task (with its undo), never the workflow.

        Raises:
            TaskEnded: An incident was aborted, or the framework failed.
        """
        try:
            return await run
        except (TaskEnded, asyncio.CancelledError):
            raise
        except Exception as err:
            if self.calls.ended is not None:
                raise self.calls.ended from err
            workflow.logger.warning("the agent failed: %s", err, exc_info=True)
            raise TaskEnded(TaskStatus.FAILED, f"the agent failed: {type(err).__name__}: {err}") from err


def current() -> FrameworkAgentWorkflow:
    """The running workflow (framework tools call this from inside the workflow).

    Checked by shape, not class: a graph registered on the worker holds the tools node as
    imported outside the sandbox, whose classes are not the sandbox's own copies.
    """
    owner = workflow.instance()
    if not hasattr(owner, "calls") or not hasattr(owner.calls, "call"):
        raise TypeError(f"{type(owner).__name__} is not a FrameworkAgentWorkflow: gated tools need one")
    return cast(FrameworkAgentWorkflow, owner)
