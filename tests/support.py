"""Test helpers: eventual assertions, unique ids, worker wiring."""

import asyncio
import contextlib
import hashlib
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client

import policies
from hitl.contracts import Decision
from hitl.review.signer import target_of
from hitl.review.signing import directory_line, sign
from hitl.settings import Settings
from policies.identity import normalize_name
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


DEMO_REVIEWERS = ("alice", "bob", "carol", "dave", "erin", "sam", "riley", "noor", "lee", "kai", "dana")
"""Every reviewer in the shipped policies' directories; tests pin a key for each."""

TEST_VALIDITY_SECONDS = 30 * 86_400
"""Test proofs outlive any time skipping a test does."""


def reviewer_key(name: str) -> Ed25519PrivateKey:
    """A reviewer's test key, the same in every test run (derived from the normalized name)."""
    seed = hashlib.sha256(f"temporal-hitl test reviewer {normalize_name(name)}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def pin_test_keys(policy_dir: Path) -> None:
    """Pin every demo reviewer's test key in each policy file of `policy_dir` (a test's copy)."""
    lines = "".join(f"{directory_line(name, reviewer_key(name))}\n" for name in DEMO_REVIEWERS)
    for path in policy_dir.glob("*.toml"):
        text = path.read_text()
        if "\n[identity.keys]\n" in text:
            path.write_text(text.replace("\n[identity.keys]\n", f"\n[identity.keys]\n{lines}", 1))


async def signed_by_key(
    client: Client, workflow_id: str, decision: Decision, key: Ed25519PrivateKey | None = None
) -> Decision:
    """`decision` bound to the task's open request and signed (by the reviewer's test key unless
    `key` is given), the way `hitl sign` does it."""
    target = await target_of(client, workflow_id, decision.request_id)
    bound = decision.model_copy(update={"request_id": target.request_id})
    expires_at = int(time.time()) + TEST_VALIDITY_SECONDS
    return sign(bound, key or reviewer_key(decision.reviewer), client.namespace, [target], expires_at)


def settings_for(tmp: Path, notify_queue: str) -> Settings:
    """Settings a test's workers use: a copy of the packaged policies with the test reviewers'
    keys pinned (`tmp/policies`), a private outbox and queue."""
    policy_dir = tmp / "policies"
    if not policy_dir.exists():
        shutil.copytree(
            Path(policies.__file__).parent, policy_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__")
        )
        pin_test_keys(policy_dir)
    return Settings(
        database_url=None,
        policy_dir=policy_dir,
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
