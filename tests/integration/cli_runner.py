"""Run the real `hitl` console script against a live stack, off the event loop."""

import asyncio
import os
import subprocess
import sys

from tests.integration.conftest import LiveStack

HITL = os.path.join(os.path.dirname(sys.executable), "hitl")


async def hitl(live: LiveStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `hitl ARGS` with TEMPORAL_ADDRESS pointing at the live stack (plus `env`)."""
    inherited = {k: v for k, v in os.environ.items() if k != "HITL_REVIEWER"}
    full_env = {**inherited, "TEMPORAL_ADDRESS": live.stack.address, **env}
    return await asyncio.to_thread(
        subprocess.run,
        [HITL, *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
