"""The whole local stack as subprocesses: dev server, embedded PostgreSQL, both workers."""

import subprocess
from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.client import Client

from workers.local.binaries import temporal_cli
from workers.local.scratch import scratch_stack
from workers.stack import Stack


class LiveStack:
    """A running stack, a client and a pool on its database."""

    def __init__(self, stack: Stack, client: Client, pool: asyncpg.Pool) -> None:
        self.stack = stack
        self.client = client
        self.pool = pool

    def temporal(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real `temporal` CLI against this stack's server."""
        return subprocess.run(
            [str(temporal_cli()), *args, "--address", self.stack.address],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveStack]:
    """Start the stack on free ports; stop every process at the end."""
    async with scratch_stack(tmp_path_factory.mktemp("stack")) as started:
        yield LiveStack(started.stack, started.client, started.pool)
