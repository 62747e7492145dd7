"""Run tool activities with idempotency keys, remember what executed, and undo it in reverse.

All I/O happens in activities.
"""

from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import AuditKind, ToolCall, ToolResult, ToolSpec, UndoCall

from workflows import options
from workflows.audit_log import AuditLog


@dataclass
class ExecutedStep:
    """A step whose effect happened, with what its undo needs."""

    step: int
    spec: ToolSpec
    args: dict[str, Any]
    output: dict[str, Any]
    undone: bool = False


class ToolRunner:
    """Executes tools for one task and keeps the list compensation walks backwards."""

    def __init__(self, task_id: str, audit: AuditLog) -> None:
        self._task_id = task_id
        self._audit = audit
        self.executed: list[ExecutedStep] = []

    def key(self, step: int) -> str:
        """Idempotency key of a step: workflow id and step number."""
        return f"{workflow.info().workflow_id}/step-{step}"

    async def run(self, spec: ToolSpec, step: int, args: dict[str, Any], actor: str) -> ToolResult:
        """Execute one tool (write-ahead audited) and remember it for compensation.

        Raises:
            ActivityError: The tool failed all its attempts.
        """
        await self._audit.flush(ahead=True)
        result: ToolResult = await workflow.execute_activity(
            spec.activity,
            ToolCall[spec.args_model](  # type: ignore[name-defined]
                key=self.key(step), task_id=self._task_id, step=step, args=args
            ),
            result_type=ToolResult,
            start_to_close_timeout=options.TOOL_TIMEOUT,
            heartbeat_timeout=options.TOOL_HEARTBEAT,
            retry_policy=options.TOOL_RETRY,
            summary=f"step {step}: {spec.name}",
        )
        self.executed.append(ExecutedStep(step, spec, args, result.output))
        self._audit.record(
            AuditKind.EXECUTED,
            actor,
            step=step,
            tool=spec.name,
            args=args,
            output=result.output,
            summary=result.summary,
            replayed=result.replayed,
        )
        return result

    async def undo_all(self, reason: str) -> list[ExecutedStep]:
        """Undo every executed, undoable step in reverse order; return the steps undone."""
        undone: list[ExecutedStep] = []
        for executed in reversed(self.executed):
            if executed.undone or executed.spec.undo_activity is None:
                continue
            await self.undo(executed, reason, AuditKind.COMPENSATED)
            undone.append(executed)
        return undone

    async def undo(self, executed: ExecutedStep, reason: str, kind: AuditKind) -> None:
        """Run one step's undo activity (retried until it succeeds) and audit it."""
        assert executed.spec.undo_activity is not None
        await self._audit.flush(ahead=True)
        await workflow.execute_activity(
            executed.spec.undo_activity,
            UndoCall[executed.spec.args_model](  # type: ignore[name-defined]
                key=self.key(executed.step),
                task_id=self._task_id,
                step=executed.step,
                args=executed.args,
                output=executed.output,
                reason=reason,
            ),
            result_type=ToolResult,
            start_to_close_timeout=options.UNDO_TIMEOUT,
            heartbeat_timeout=options.TOOL_HEARTBEAT,
            retry_policy=options.UNDO_RETRY,
            summary=f"undo step {executed.step}: {executed.spec.name}",
        )
        executed.undone = True
        self._audit.record(kind, "system", step=executed.step, tool=executed.spec.name, reason=reason)

    def find(self, step: int) -> ExecutedStep | None:
        """Return the executed record of a step, if it executed."""
        return next((e for e in self.executed if e.step == step), None)
