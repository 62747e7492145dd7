"""The write-ahead audit rides with the action: a tool or undo activity writes the audit batch its
call carries (`ToolCall.audit`, what led to the call) and only then runs the tool.

Before, the workflow wrote that batch through the audit activity and scheduled the tool when the
write came back: two activity round trips and two workflow tasks per action where bare Temporal
has one. The batch is part of the activity's input, so it is in workflow history before anything
runs: a retried attempt writes exactly the same rows (a write already made is skipped by its key),
unlike a local activity whose input is rebuilt by a retried workflow task.

The write and the tool share the attempt and its patience with an unreachable database
(`outage.patient`): the write is made once, and a try after it runs the tool only. When the write
cannot be made within the attempt, the tool does not run and the activity fails with
`AUDIT_UNWRITTEN` (non-retryable): the workflow writes the batch through the audit activity, which
waits for the database as long as it takes, and calls the tool again (`workflows.tool_runner`).
A batch PostgreSQL refuses fails with `AUDIT_DATA_ERROR` the same way, and the workflow writes its
escaped substitute.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.exceptions import ApplicationError

from activities.tools.outage import patient
from hitl.contracts import RecordEventsResult, ToolResult
from hitl.errors import AUDIT_DATA_ERROR, AUDIT_UNWRITTEN

Fn = TypeVar("Fn", bound=Callable[..., Awaitable[ToolResult]])


def write_ahead(fn: Fn) -> Fn:
    """Wrap a `Toolset` tool or undo method: write its call's audit batch, then run it."""
    bare = patient(fn)

    @functools.wraps(fn)
    async def run(toolset: Any, call: Any) -> ToolResult:
        if call.audit is None:
            return await bare(toolset, call)
        written: list[RecordEventsResult] = []

        async def audited(toolset: Any, call: Any) -> ToolResult:
            if not written:
                written.append(await toolset.audit_writer(call.audit))
            return await fn(toolset, call)

        try:
            result = await patient(audited)(toolset, call)
        except Exception as err:
            refused = isinstance(err, ApplicationError) and err.type == AUDIT_DATA_ERROR
            if written or refused:
                raise
            raise ApplicationError(
                f"the write-ahead audit batch was not written ({type(err).__name__}); the tool did not run",
                type=AUDIT_UNWRITTEN,
                non_retryable=True,
            ) from err
        return result.model_copy(update={"audit": written[0]})

    return run  # type: ignore[return-value]
