"""Test helpers: eventual assertions, unique ids, worker wiring."""

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import ActivityEnvironment

import policies
from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, Decision, FeedbackRecord, TaskResult
from hitl.review.signer import target_of
from hitl.review.signing import directory_line, key_file_name, sign, write_key
from hitl.settings import AgentWorkerSettings, NotificationWorkerSettings
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


def attempt(seconds: float) -> ActivityEnvironment:
    """An environment to run one activity attempt in, with a start-to-close timeout of `seconds`."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, start_to_close_timeout=timedelta(seconds=seconds))
    return env


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


def refund_decision(
    task: str, outcome: str = "approve", at: datetime = datetime(2026, 5, 1, tzinfo=UTC), **fields: Any
) -> FeedbackRecord:
    """A reviewer's decision on a refund's approval request (`<task>/approval-1`), decided 30 s
    after it opened at `at`; `fields` override any column."""
    values: dict[str, Any] = {
        "feedback_key": f"{task}/approval-1",
        "task_id": task,
        "task_kind": "refund",
        "request_id": "approval-1",
        "step": 1,
        "action_type": "issue_refund",
        "outcome": outcome,
        "proposed_args": {"amount": 12.5, "order_id": "o-1"},
        "confidence": 0.9,
        "reviewers": ["alice"],
        "opened_at": at,
        "decided_at": at + timedelta(seconds=30),
    }
    return FeedbackRecord(**(values | fields))


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


DEMO_REVIEWERS = ("alice", "bob", "carol", "dave", "erin", "sam", "riley", "noor", "lee", "kai", "dana")
"""Every reviewer in the shipped policies' directories; tests pin a key for each."""

TEST_VALIDITY_SECONDS = 100 * 365 * 86_400
"""Test proofs outlive any time skipping a test does: the time-skipping server is shared by the
session, and tests that run SLA ladders out move its clock years ahead (2036 was seen)."""


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


def key_folder(folder: Path, *names: str) -> Path:
    """Write the test keys of `names` into `folder` as `hitl keys new` would; return it (for
    `HITL_REVIEWER_KEY_DIR`)."""
    for name in names:
        path = folder / key_file_name(name)
        if not path.exists():
            write_key(path, reviewer_key(name))
    return folder


async def signed_by_key(
    client: Client, workflow_id: str, decision: Decision, key: Ed25519PrivateKey | None = None
) -> Decision:
    """`decision` bound to the task's open request and signed (by the reviewer's test key unless
    `key` is given), the way `hitl sign` does it."""
    target = await target_of(client, workflow_id, decision.request_id)
    bound = decision.model_copy(update={"request_id": target.request_id})
    expires_at = int(time.time()) + TEST_VALIDITY_SECONDS
    return sign(bound, key or reviewer_key(decision.reviewer), client.namespace, [target], expires_at)


# The pydantic mypy plugin gives each model its own `model_construct` signature; the fields agree.
class WorkersSettings(AgentWorkerSettings, NotificationWorkerSettings):  # type: ignore[misc]
    """The settings of both workers in one model: a test runs both in its own process."""


def settings_for(tmp: Path, notify_queue: str) -> WorkersSettings:
    """Settings a test's workers use: a copy of the packaged policies (`tmp/policies`, calibration
    off: see `policy_copy`; the test reviewers' keys pinned), a private outbox and queue."""
    policy_dir = tmp / "policies"
    if not policy_dir.exists():
        policy_copy(policy_dir)
        pin_test_keys(policy_dir)
    return WorkersSettings(
        policy_dir=policy_dir,
        ui_url="http://localhost:8233",
        outbox=tmp / "outbox.jsonl",
        state_dir=tmp,
        notify_task_queue=notify_queue,
    )


@contextlib.asynccontextmanager
async def running_workers(
    client: Client, pool: asyncpg.Pool, settings: WorkersSettings, task_queue: str
) -> AsyncIterator[None]:
    """Run an agent worker and a notification worker for one test."""
    agent = build_agent_worker(client, pool, settings, task_queue=task_queue)
    notify = build_notification_worker(client, settings)
    async with agent, notify:
        yield


async def start_refund(
    client: Client, pool: asyncpg.Pool, queue: str, amount: float, **subject: Any
) -> WorkflowHandle[Any, TaskResult]:
    """Seed an order of 500 for kim@example.com and start a refund of `amount` on it."""
    order_id = unique("ord")
    await seed_orders(
        pool, [DemoOrder(order_id=order_id, customer_email="kim@example.com", total=Decimal(500))]
    )
    task = AgentTaskInput(
        task_id=unique("refund"),
        kind="refund",
        requester="svc-support",
        subject={"order_id": order_id, "amount": amount, **subject},
    )
    return await start_task(client, task, task_queue=queue)
