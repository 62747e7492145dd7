"""Tools wait out a database outage inside their attempt instead of spending their retries on it.

A tool has three attempts (`workflows.options.TOOL_RETRY`) before an incident gate asks a human:
that is for the tool failing, not for its database restarting. While the database cannot be
reached (the connection refused or dropped, the server shutting down or starting up), an attempt
tries again, 0.5 s apart and then up to 5 s, until a few seconds before its start-to-close timeout;
the heartbeat interceptor keeps it alive meanwhile, so a killed worker is still noticed at once.
Three attempts ride out an outage of about 80 s with the 30 s tool timeout; a longer one reaches
the incident gate as before. Retrying the body is what Temporal's own retry would do: every tool
is idempotent by its key.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from temporalio import activity

UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up (57P01, 57P03)
    asyncpg.exceptions.ConnectionDoesNotExistError,  # the connection closed mid-statement
    # What asyncpg raises on a pooled connection the server closed while it sat idle (seen on this
    # stack after a restart: "cannot switch to state 15; another operation (2) is in progress").
    asyncpg.exceptions.InternalClientError,
)
"""Errors that say the database is away, not that the statement or the tool is wrong."""

MARGIN_SECONDS = 5.0
"""Left of the start-to-close timeout when the last try inside an attempt begins."""
FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 5.0

Fn = TypeVar("Fn", bound=Callable[..., Awaitable[Any]])


def patient(fn: Fn) -> Fn:
    """Wrap a tool or undo method so that an unreachable database is waited for within the attempt."""

    @functools.wraps(fn)
    async def waiting(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        timeout = activity.info().start_to_close_timeout
        budget = timeout.total_seconds() - MARGIN_SECONDS if timeout else 0.0
        give_up_at = loop.time() + budget
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                return await fn(*args, **kwargs)
            except UNREACHABLE as err:
                if loop.time() + pause >= give_up_at:
                    raise
                activity.logger.warning("database unreachable (%s); trying again in %.1f s", err, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)

    return waiting  # type: ignore[return-value]
