"""Test helpers: eventual assertions, unique ids, worker wiring."""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from temporalio.client import Client

import policies
from hitl.settings import Settings
from workers.agent import build_agent_worker
from workers.notification import build_notification_worker

T = TypeVar("T")


async def assert_eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], within: float = 20.0
) -> T:
    """Call `probe` until `check(result)` holds; fail with the last result after `within` s."""
    deadline = time.monotonic() + within
    last: T | None = None
    while True:
        with contextlib.suppress(Exception):
            last = await probe()
            if check(last):
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {last!r}")
        await asyncio.sleep(0.05)


def unique(prefix: str) -> str:
    """A unique id for a test's workflow ids and task queues."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


HITL = str(Path(sys.executable).parent / "hitl")
"""The `hitl` console script of this virtual environment."""


async def run_hitl(
    *args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `hitl ARGS` as a process, off the event loop: this process's environment without
    `unset`, plus `env`."""
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    return await asyncio.to_thread(
        subprocess.run,
        [HITL, *args],
        env={**inherited, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CALIBRATED = "\nmin_decisions = 20\n"
"""The shipped refund policy's calibration line (`[calibration]`)."""


def policy_copy(folder: Path) -> Path:
    """Copy the packaged policies into `folder` with the refund policy's confidence calibration
    turned off (`min_decisions = 0`), and return `folder`.

    Calibration reads every human decision on refunds in the database, and the tests of a session
    share one database: with it on, a verdict would depend on which tests ran before. Tests of
    calibration itself turn it back on in a policy of their own."""
    shutil.copytree(
        Path(policies.__file__).parent,
        folder,
        ignore=shutil.ignore_patterns("*.py", "__pycache__"),
        dirs_exist_ok=True,
    )
    refund = folder / "refund.toml"
    text = refund.read_text()
    assert CALIBRATED in text, "the shipped refund policy's calibration line moved"
    refund.write_text(text.replace(CALIBRATED, "\nmin_decisions = 0\n"))
    return folder


def settings_for(tmp: Path, notify_queue: str) -> Settings:
    """Settings a test's workers use: the packaged policies (calibration off, see `policy_copy`),
    a private outbox and queue."""
    return Settings(
        database_url=None,
        policy_dir=policy_copy(tmp / "policies"),
        ui_url="http://localhost:8233",
        outbox=tmp / "outbox.jsonl",
        state_dir=tmp,
        notify_task_queue=notify_queue,
    )


@contextlib.asynccontextmanager
async def running_workers(
    client: Client, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> AsyncIterator[None]:
    """Run an agent worker and a notification worker for one test."""
    agent = build_agent_worker(client, pool, settings, task_queue=task_queue)
    notify = build_notification_worker(client, settings)
    async with agent, notify:
        yield
