"""What an agent task knows while it runs: steps, history for the agent, pinned context.

Shared by the step flow, post-hoc reviews and the workflow. All I/O happens in activities.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AgentTaskInput,
        ProposedAction,
        StepOutcome,
        StepRecord,
        StepStatus,
        TaskResult,
        TaskStatus,
        Verdict,
    )
    from hitl.contracts.carry import ParkedStep
    from policies.context import TaskContext

from workflows.audit_log import AuditLog
from workflows.gate.gate import HumanGate
from workflows.tool_runner import ToolRunner


class TaskEnded(Exception):
    """Raised inside the step loop to end the task with a status and a reason."""

    def __init__(self, status: TaskStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class TaskState:
    """The mutable state of one agent task."""

    task: AgentTaskInput
    audit: AuditLog
    gate: HumanGate
    tools: ToolRunner
    context: TaskContext | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    history: list[StepRecord] = field(default_factory=list)
    parked: ParkedStep | None = None
    """The step the main line waits on at a gate (its request id is filled in when continuing)."""

    @contextlib.contextmanager
    def parking(
        self, action: ProposedAction, verdict: Verdict, revision: int = 0, would_be: Verdict | None = None
    ) -> Iterator[None]:
        """Within this block the main line waits at a gate for this step: the task may continue
        as new meanwhile, and the next run picks the step up from the same request."""
        self.parked = ParkedStep(
            request_id="", action=action, verdict=verdict, revision=revision, would_be=would_be
        )
        try:
            yield
        finally:
            self.parked = None

    def settle(
        self,
        action: ProposedAction,
        verdict: Verdict,
        status: StepStatus,
        args: dict[str, Any],
        *,
        decided_by: str | None = None,
        detail: str = "",
        output: dict[str, Any] | None = None,
        feedback: str = "",
    ) -> None:
        """Record how a step ended, for the result and for the agent's next turn."""
        self.steps.append(
            StepOutcome(
                step=action.step,
                tool=action.tool,
                status=status,
                mode=verdict.mode.value,
                args=args,
                decided_by=decided_by,
                detail=detail,
            )
        )
        self.history.append(
            StepRecord(
                step=action.step,
                tool=action.tool,
                status=status.value,
                args=args,
                output=output or {},
                feedback=feedback or (detail if status is not StepStatus.EXECUTED else ""),
            )
        )

    def mark(self, step: int, status: StepStatus, detail: str) -> None:
        """Change the recorded status of an executed step (reverted, compensated)."""
        self.steps = [
            s.model_copy(update={"status": status, "detail": detail}) if s.step == step else s
            for s in self.steps
        ]

    def result(self, status: TaskStatus, reason: str, message: str = "") -> TaskResult:
        """The task's result: undone steps show as compensated."""
        steps = [
            s.model_copy(update={"status": StepStatus.COMPENSATED})
            if s.status is StepStatus.EXECUTED and (e := self.tools.find(s.step)) is not None and e.undone
            else s
            for s in self.steps
        ]
        return TaskResult(
            task_id=self.task.task_id, status=status, steps=steps, reason=reason, message=message
        )
