"""Run the real `hitl` console script against a live stack, off the event loop."""

import subprocess

from tests.integration.conftest import LiveStack
from tests.support import run_hitl


async def hitl(live: LiveStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `hitl ARGS` with TEMPORAL_ADDRESS pointing at the live stack and its state folder (where
    the demo reviewers' keys are), plus `env`; a reviewer or key set in this process's environment
    is left out, so each test names its own."""
    base = {"TEMPORAL_ADDRESS": live.stack.address, "HITL_STATE_DIR": str(live.stack.state)}
    return await run_hitl(*args, env={**base, **env}, unset=("HITL_REVIEWER", "HITL_REVIEWER_KEY"))
