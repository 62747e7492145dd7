"""Run tool activities with idempotency keys, remember what executed, and undo it in reverse.

The write-ahead audit batch rides in the tool's activity input and the agent worker writes it
before the tool runs (`activities.tools.write_ahead`, `patches.AUDIT_RIDES_WITH_ACTION`): the trail
holds what led to an action before the action, in one round trip. When it could not be written
(`AUDIT_UNWRITTEN`: the database away for the whole attempt; `AUDIT_DATA_ERROR`: content
PostgreSQL refuses), the batch is written through the audit activity, which waits for the database
and escapes refused content, and the tool is called again. A result without what the write
reached means a worker without the write-ahead ran the tool (a rolling deploy): the batch is
written at once and the `executed` event says `write_ahead: late`. Undos, and tools run while a
review window waits beside the main line, write through the audit activity first, as before.
All I/O happens in activities.
"""

from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import AuditKind, RecordEventsInput, ToolCall, ToolResult, ToolSpec, UndoCall
    from hitl.errors import AUDIT_DATA_ERROR, AUDIT_UNWRITTEN

from workflows import options, patches
from workflows.audit_log import AuditLog

_UNWRITTEN = (AUDIT_UNWRITTEN, AUDIT_DATA_ERROR)


class _WrittenLate(Exception):
    """The tool ran but its worker did not write the batch that rode with it (a worker from
    before the write-ahead, during a rolling deploy): the batch goes back and is written now."""

    def __init__(self, result: ToolResult) -> None:
        super().__init__("the write-ahead batch came back unwritten")
        self.result = result


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
        result, late = await self._execute(spec, step, args)
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
            **({"write_ahead": "late"} if late else {}),
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
        await self._audit.flush(ahead=True)  # an undo may run long (retried until it succeeds): never rides
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

    async def _execute(self, spec: ToolSpec, step: int, args: dict[str, Any]) -> tuple[ToolResult, bool]:
        """Run a tool activity with the write-ahead audit batch riding in its call; also say
        whether the batch was written only after the tool ran (a worker without the write-ahead).

        The batch rides only while nobody waits in this task (a review window runs beside the
        main line): riding holds the audit log for the call, and a wait's events are written at once.
        """

        async def run(audit: RecordEventsInput | None) -> ToolResult:
            result: ToolResult = await workflow.execute_activity(
                spec.activity,
                ToolCall[spec.args_model](  # type: ignore[name-defined]
                    key=self.key(step), task_id=self._task_id, step=step, args=args, audit=audit
                ),
                result_type=ToolResult,
                start_to_close_timeout=options.TOOL_TIMEOUT,
                heartbeat_timeout=options.TOOL_HEARTBEAT,
                retry_policy=options.TOOL_RETRY,
                summary=f"step {step}: {spec.name}",
            )
            return result

        if patches.on(patches.AUDIT_RIDES_WITH_ACTION) and not self._audit.waiting_now:
            try:
                async with self._audit.riding() as batch:
                    result = await run(batch)
                    if batch is None:
                        return result, False
                    if result.audit is None:
                        raise _WrittenLate(result)
                    self._audit.wrote(result.audit)
                    return result, False
            except _WrittenLate as late:
                await self._audit.flush(ahead=True)
                return late.result, True
            except ActivityError as err:
                if not (
                    batch is not None
                    and isinstance(err.cause, ApplicationError)
                    and err.cause.type in _UNWRITTEN
                ):
                    raise
        await self._audit.flush(ahead=True)
        return await run(None), False

    def find(self, step: int) -> ExecutedStep | None:
        """Return the executed record of a step, if it executed."""
        return next((e for e in self.executed if e.step == step), None)
