"""A throwaway local stack on free ports, for integration tests and benchmarks.

Same processes as `make run` (dev server, embedded PostgreSQL, both workers), but in a state
folder of the caller's and on ports nobody else uses, so several can run side by side.
"""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from temporalio.client import Client

import policies
from hitl.settings import StackSettings
from store.db import create_pool
from workers.local.ports import free_port
from workers.stack import Stack


@dataclass
class ScratchStack:
    """A started stack, a client on its server and a pool on its database (as the workers' role)."""

    stack: Stack
    client: Client
    pool: asyncpg.Pool


def scratch_settings(
    state_dir: Path, policy_dir: Path | None = None, llm_base_url: str | None = None
) -> StackSettings:
    """Settings for a stack whose state (and outbox) lives in `state_dir`, with the policies in
    `policy_dir` (default: the packaged ones) and, with `llm_base_url`, a model agent."""
    return StackSettings(
        state_dir=state_dir,
        policy_dir=policy_dir or Path(policies.__file__).parent,
        llm_base_url=llm_base_url,
    )


@contextlib.asynccontextmanager
async def scratch_stack(
    state_dir: Path,
    *,
    with_ui: bool = False,
    with_inbox: bool = False,
    pool_size: int = 3,
    policy_dir: Path | None = None,
    llm_base_url: str | None = None,
) -> AsyncIterator[ScratchStack]:
    """Start the stack in `state_dir` on free ports; stop every process on exit.

    With `with_ui`, the Web UI listens on a free port too (and the workers' links point at it);
    with `with_inbox`, so does the reviewer inbox (and notices link to it). `policy_dir` replaces
    the packaged policies; `llm_base_url` plans refunds with that model.
    """
    stack = Stack(
        scratch_settings(state_dir, policy_dir, llm_base_url),
        temporal_port=free_port(),
        ui_port=free_port() if with_ui else None,
        codec_port=free_port(),
        inbox_port=free_port() if with_inbox else None,
    )
    try:
        client = await stack.start()
        assert stack.postgres is not None
        pool = await create_pool(stack.postgres.worker_dsn, max_size=pool_size)
        try:
            yield ScratchStack(stack, client, pool)
        finally:
            await pool.close()
    finally:
        stack.stop()
