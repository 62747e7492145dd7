"""Connecting the reviewer commands to Temporal, with a clear message when it is down."""

import sys

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from hitl.cli import exit_codes
from hitl.client import connect
from hitl.errors import ConfigError


async def connect_or_explain(command: str) -> Client | None:
    """Connect with the envconfig settings and the payload keys; on failure print why and
    return None."""
    try:
        return await connect()
    except ConfigError as err:
        print(f"hitl {command}: {err}", file=sys.stderr)
        return None
    except (RuntimeError, RPCError) as err:
        print(
            f"hitl {command}: Temporal is unavailable ({err}); check TEMPORAL_ADDRESS "
            "or start the local stack with `make run`",
            file=sys.stderr,
        )
        return None


def temporal_failed(command: str, err: RPCError) -> int:
    """Print why Temporal failed mid-command; return the exit code (5 unreachable, 1 otherwise)."""
    if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):  # our rpc_timeout
        print(
            f"hitl {command}: no answer in time (is the task's worker running?): {err.message}",
            file=sys.stderr,
        )
        return exit_codes.UNAVAILABLE
    if err.status is RPCStatusCode.UNAVAILABLE:
        print(f"hitl {command}: Temporal is unavailable: {err.message}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    print(f"hitl {command}: Temporal refused the request: {err.message}", file=sys.stderr)
    return exit_codes.FAILURE
