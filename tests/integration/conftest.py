"""The whole local stack as subprocesses: dev server, embedded PostgreSQL, both workers."""

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

import policies
from activities.store.db import create_pool
from hitl.settings import Settings
from workers.local.binaries import temporal_cli
from workers.local.ports import free_port
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
    state = tmp_path_factory.mktemp("stack")
    settings = Settings(
        database_url=None,
        policy_dir=Path(policies.__file__).parent,
        ui_url="http://localhost:8233",
        outbox=state / "outbox.jsonl",
        state_dir=state,
    )
    stack = Stack(settings, temporal_port=free_port(), ui_port=None)
    try:
        client = await stack.start()
        assert stack.postgres is not None
        pool = await create_pool(stack.postgres.dsn, max_size=3)
        try:
            yield LiveStack(stack, client, pool)
        finally:
            await pool.close()
    finally:
        stack.stop()
