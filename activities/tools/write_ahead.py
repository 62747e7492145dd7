"""The write-ahead audit rides with the action: the agent worker writes the audit batch a tool call
carries (`ToolCall.audit`, what led to the call) and only then runs the tool.

Before, the workflow wrote that batch through the audit activity and scheduled the tool when the
write came back: two activity round trips and two workflow tasks per action where bare Temporal
has one. The batch is part of the activity's input, so it is in workflow history before anything
runs: a retried attempt writes exactly the same rows (a write already made is skipped by its key),
unlike a local activity whose input is rebuilt by a retried workflow task.

The write is made by a worker interceptor (`WriteAheadInterceptor`), not by the tool: a tool
author's code never holds the audit writer, never sees the batch (the call reaches the tool
without it) and cannot set what the write reached (`ToolResult.audit` is the interceptor's). A
tool raising one of the error types below has them renamed, so the workflow never takes a tool's
failure for an unwritten batch.

The write and the tool share the attempt's cut-off and its patience with an unreachable database
(`outage`). When the write cannot be made within the attempt, the tool does not run and the
activity fails with `AUDIT_UNWRITTEN` (non-retryable): the workflow writes the batch through the
audit activity, which waits for the database as long as it takes, and calls the tool again
(`workflows.tool_runner`). A batch PostgreSQL refuses fails with `AUDIT_DATA_ERROR` the same way,
and the workflow writes its escaped substitute.
"""

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.tools.outage import CUT_OFF, attempt_cut_off, within_attempt
from hitl.contracts import RecordEventsInput, RecordEventsResult, ToolCall, ToolResult
from hitl.errors import AUDIT_DATA_ERROR, AUDIT_UNWRITTEN, TOOL_RESERVED_ERROR

AuditWriter = Callable[[RecordEventsInput], Awaitable[RecordEventsResult]]
"""Writes one audit batch in a transaction (`AuditActivities.write`)."""

RESERVED = frozenset({AUDIT_UNWRITTEN, AUDIT_DATA_ERROR})
"""Error types only the write-ahead may raise from a tool activity."""


async def written_ahead(write: AuditWriter, call: ToolCall[Any], run: Callable[[Any], Awaitable[Any]]) -> Any:
    """Write `call.audit` (if any), then `run` the call without it; a `ToolResult` comes back with
    what the write reached (None when nothing was written)."""
    batch = call.audit
    token = CUT_OFF.set(attempt_cut_off())
    try:
        written = None if batch is None else await _write(write, batch)
        try:
            result = await run(call.model_copy(update={"audit": None}))
        except ApplicationError as err:
            if err.type not in RESERVED:
                raise
            raise ApplicationError(
                f"the tool raised a reserved error type ({err.type}): {err.message}",
                type=TOOL_RESERVED_ERROR,
                non_retryable=err.non_retryable,
            ) from err
    finally:
        CUT_OFF.reset(token)
    if isinstance(result, ToolResult):
        return result.model_copy(update={"audit": written})
    return result


async def _write(write: AuditWriter, batch: RecordEventsInput) -> RecordEventsResult:
    try:
        return await within_attempt(write, batch, cut_off=CUT_OFF.get())
    except Exception as err:
        if isinstance(err, ApplicationError) and err.type == AUDIT_DATA_ERROR:
            raise
        raise ApplicationError(
            f"the write-ahead audit batch was not written ({type(err).__name__}); the tool did not run",
            type=AUDIT_UNWRITTEN,
            non_retryable=True,
        ) from err


class WriteAheadInterceptor(Interceptor):
    """Agent worker interceptor: a tool activity writes its call's audit batch first."""

    def __init__(self, write: AuditWriter) -> None:
        self._write = write

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _WriteAhead(next, self._write)


class _WriteAhead(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, write: AuditWriter) -> None:
        super().__init__(next)
        self._write = write

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        call = input.args[0] if len(input.args) == 1 else None
        if not isinstance(call, ToolCall):
            return await self.next.execute_activity(input)

        async def run(stripped: Any) -> Any:
            return await self.next.execute_activity(dataclasses.replace(input, args=[stripped]))

        return await written_ahead(self._write, call, run)
