"""Run tool activities with idempotency keys, remember what executed, and undo it in reverse.

The write-ahead audit batch rides in the tool's activity input and is written by that activity
before the tool runs (`activities.tools.write_ahead`, `patches.AUDIT_RIDES_WITH_ACTION`): the trail
holds what led to an action before the action, in one round trip. When the activity could not
write it (`AUDIT_UNWRITTEN`: the database away for the whole attempt; `AUDIT_DATA_ERROR`: content
PostgreSQL refuses), the batch is written through the audit activity, which waits for the database
and escapes refused content, and the tool is called again. All I/O happens in activities.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import AuditKind, RecordEventsInput, ToolCall, ToolResult, ToolSpec, UndoCall
    from hitl.contracts.base import Contract
    from hitl.errors import AUDIT_DATA_ERROR, AUDIT_UNWRITTEN

from workflows import options, patches
from workflows.audit_log import AuditLog

_UNWRITTEN = (AUDIT_UNWRITTEN, AUDIT_DATA_ERROR)


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
        result = await self._execute(
            spec.activity,
            lambda audit: ToolCall[spec.args_model](  # type: ignore[name-defined]
                key=self.key(step), task_id=self._task_id, step=step, args=args, audit=audit
            ),
            limit=options.TOOL_TIMEOUT,
            retry=options.TOOL_RETRY,
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
        await self._execute(
            executed.spec.undo_activity,
            lambda audit: UndoCall[executed.spec.args_model](  # type: ignore[name-defined]
                key=self.key(executed.step),
                task_id=self._task_id,
                step=executed.step,
                args=executed.args,
                output=executed.output,
                reason=reason,
                audit=audit,
            ),
            limit=options.UNDO_TIMEOUT,
            retry=options.UNDO_RETRY,
            summary=f"undo step {executed.step}: {executed.spec.name}",
        )
        executed.undone = True
        self._audit.record(kind, "system", step=executed.step, tool=executed.spec.name, reason=reason)

    async def _execute(
        self,
        activity: str,
        call: Callable[[RecordEventsInput | None], Contract],
        *,
        limit: timedelta,
        retry: RetryPolicy,
        summary: str,
    ) -> ToolResult:
        """Run a tool or undo activity with the write-ahead audit batch riding in `call(batch)`."""
        if workflow.patched(patches.AUDIT_RIDES_WITH_ACTION):
            try:
                async with self._audit.riding() as batch:
                    result = await self._activity(activity, call(batch), limit, retry, summary)
                    self._audit.wrote(result.audit)
                    return result
            except ActivityError as err:
                if not (isinstance(err.cause, ApplicationError) and err.cause.type in _UNWRITTEN):
                    raise
        await self._audit.flush(ahead=True)
        return await self._activity(activity, call(None), limit, retry, summary)

    @staticmethod
    async def _activity(
        activity: str, call: Contract, limit: timedelta, retry: RetryPolicy, summary: str
    ) -> ToolResult:
        result: ToolResult = await workflow.execute_activity(
            activity,
            call,
            result_type=ToolResult,
            start_to_close_timeout=limit,
            heartbeat_timeout=options.TOOL_HEARTBEAT,
            retry_policy=retry,
            summary=summary,
        )
        return result

    def find(self, step: int) -> ExecutedStep | None:
        """Return the executed record of a step, if it executed."""
        return next((e for e in self.executed if e.step == step), None)
