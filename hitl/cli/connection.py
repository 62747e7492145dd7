"""Connecting the reviewer commands to Temporal, with a clear message when it is down."""

import sys

from temporalio.client import Client
from temporalio.service import RPCError

from hitl.client import connect


async def connect_or_explain(command: str) -> Client | None:
    """Connect with the envconfig settings; on failure print why and return None."""
    try:
        return await connect()
    except (RuntimeError, RPCError) as err:
        print(
            f"hitl {command}: Temporal is unavailable ({err}); check TEMPORAL_ADDRESS "
            "or start the local stack with `make run`",
            file=sys.stderr,
        )
        return None


def unavailable(command: str, err: RPCError) -> None:
    """Print that Temporal failed mid-command."""
    print(f"hitl {command}: Temporal is unavailable: {err.message}", file=sys.stderr)
