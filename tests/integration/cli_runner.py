"""Run the real `hitl` console script against a live stack, off the event loop."""

import subprocess

from tests.integration.conftest import LiveStack
from tests.support import run_hitl


async def hitl(live: LiveStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `hitl ARGS` with TEMPORAL_ADDRESS pointing at the live stack (plus `env`); a reviewer
    set in this process's environment is left out, so each test names its own."""
    return await run_hitl(
        *args, env={"TEMPORAL_ADDRESS": live.stack.address, **env}, unset=("HITL_REVIEWER",)
    )
