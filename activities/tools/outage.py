"""Tools wait out a database outage inside their attempt instead of spending their retries on it.

A tool has three attempts (`workflows.options.TOOL_RETRY`) before an incident gate asks a human:
that is for the tool failing, not for its database restarting. While the database cannot be
reached (the connection refused or dropped, the server shutting down or starting up), an attempt
tries again, 0.5 s apart and then up to 5 s; the heartbeat interceptor keeps it alive meanwhile,
so a killed worker is still noticed at once. Every try, the first included, is cut off 5 s before
the attempt's start-to-close timeout: a try still connecting when the server times the attempt
out would otherwise run beside the next attempt (two refunds of one key racing for the order's
row lock, one of them failing after the other committed). Three attempts ride out an outage of
about 80 s with the 30 s tool timeout; a longer one reaches the incident gate as before. Trying
the body again is what Temporal's own retry does: tools are written to be retried (idempotent by
their key, or setting a state again). An attempt of 10 s or less is left to Temporal's timeout.
"""

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from temporalio import activity

UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset, the socket gone (TimeoutError is handled first)
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.AdminShutdownError,  # 57P01: the server shutting down (or the backend killed)
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up
    asyncpg.exceptions.ConnectionDoesNotExistError,  # the connection closed mid-statement
    # What asyncpg raises on a pooled connection the server closed while it sat idle (seen on this
    # stack after a restart: "cannot switch to state 15; another operation (2) is in progress").
    asyncpg.exceptions.InternalClientError,
)
"""Errors that say the database is away, not that the statement or the tool is wrong."""

MARGIN_SECONDS = 5.0
"""Left of the start-to-close timeout when every try inside an attempt is cut off."""
FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 5.0

Fn = TypeVar("Fn", bound=Callable[..., Awaitable[Any]])
T = TypeVar("T")


CUT_OFF: contextvars.ContextVar[float | None] = contextvars.ContextVar("hitl_attempt_cut_off", default=None)
"""The attempt's cut-off (event loop time) once something in it has taken one: the write-ahead
audit and the tool after it share one (`activities.tools.write_ahead`)."""


def attempt_cut_off() -> float | None:
    """The loop time every try of this attempt must end by; None when the attempt is too short to
    wait within (Temporal's timeout bounds it)."""
    taken = CUT_OFF.get()
    if taken is not None:
        return taken
    timeout = activity.info().start_to_close_timeout
    if not timeout or timeout.total_seconds() <= 2 * MARGIN_SECONDS:
        return None
    return asyncio.get_running_loop().time() + timeout.total_seconds() - MARGIN_SECONDS


async def within_attempt(fn: Callable[..., Awaitable[T]], *args: Any, cut_off: float | None) -> T:
    """Call `fn(*args)`, trying again while the database is unreachable, until `cut_off`."""
    if cut_off is None:
        return await fn(*args)
    loop = asyncio.get_running_loop()
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            async with asyncio.timeout_at(cut_off):
                return await fn(*args)
        except TimeoutError:
            raise  # the try was cut off: the attempt ends before the server times it out
        except UNREACHABLE as err:
            if loop.time() + pause >= cut_off:
                raise
            activity.logger.warning("database unreachable (%s); trying again in %.1f s", err, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def patient(fn: Fn) -> Fn:
    """Wrap a tool or undo method so that an unreachable database is waited for within the attempt."""

    @functools.wraps(fn)
    async def waiting(*args: Any) -> Any:
        return await within_attempt(fn, *args, cut_off=attempt_cut_off())

    return waiting  # type: ignore[return-value]
