"""One run of `bench.faults`: the stack, its faults and load, a global deadline, the CLIs run as
processes, and the per-task checks that need the server (outcomes, open requests, history size)."""

import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from bench.fault_checks import History
from bench.fault_hostile import BIG, DECISIONS
from bench.fault_load import Load
from bench.fault_stack import FaultStack
from hitl.contracts import PendingResult, TaskResult
from hitl.names import DECIDE, PENDING_QUERY
from workers.local.scratch import ScratchStack

BIN = Path(sys.executable).parent
EXPECTED = {"auto": "completed", "approve": "completed", "reject": "rejected"}
LOST = {"failed", "terminated", "timed out", "canceled"}


@dataclass
class Run:
    """A started stack with its faults, load and deadline (a `time.monotonic()` moment)."""

    live: ScratchStack
    faults: FaultStack
    load: Load
    deadline: float
    result: dict[str, Any] = field(default_factory=lambda: {"deadline_hit": False})
    revived: list[str] = field(default_factory=list)
    """Workers that died on their own during the run (restarted)."""

    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        """Print progress to stderr."""
        print(f"[{time.monotonic() - self.started:6.0f} s] {what}", file=sys.stderr, flush=True)

    @property
    def client(self) -> Client:
        return self.live.client

    @property
    def pool(self) -> asyncpg.Pool:
        return self.live.pool

    async def tick(self, every: float) -> None:
        """Sleep `every` seconds, first restarting workers that died unasked.

        Raises:
            TimeoutError: The deadline has passed.
        """
        if time.monotonic() > self.deadline:
            raise TimeoutError
        self.revived += self.faults.revive()
        await asyncio.sleep(every)

    async def until(self, done: Callable[[], bool]) -> None:
        """Wait until `done()` (see `tick`)."""
        while not done():
            await self.tick(0.5)

    async def closed(self, task_ids: list[str], within: float) -> None:
        """Wait until none of `task_ids` runs (read from visibility, which lags a little), at most
        `within` seconds: the tasks still open then are counted as stuck at the end."""
        wanted = running = set(task_ids)
        give_up = time.monotonic() + within
        while time.monotonic() < give_up:
            with contextlib.suppress(RPCError):
                running = {w.id async for w in self.client.list_workflows('ExecutionStatus="Running"')}
                if not running & wanted:
                    return
            await self.tick(1.0)
        self.note(f"{len(running & wanted)} tasks still open after {within:g} s; going on")

    async def hitl(self, args: list[str]) -> int:
        """Run a `hitl` decision command against this stack (found through its `stack.env`)."""
        return await self.hitl_plain([*args, "--timeout", "15"])

    async def hitl_plain(self, args: list[str]) -> int:
        """Run the `hitl` CLI against this stack with exactly these arguments."""
        env = {**os.environ, "HITL_STATE_DIR": str(self.live.stack.state)}
        return await _process([str(BIN / "hitl"), *args], env)

    async def temporal(self, args: list[str]) -> int:
        """Run `temporal workflow signal` against this stack, through its codec server."""
        stack = self.live.stack
        codec = ["--codec-endpoint", stack.codec.endpoint, "--codec-auth", f"Bearer {stack.codec.token}"]
        argv = [str(BIN / "temporal"), "workflow", "signal", "--address", stack.address, *codec, *args]
        return await _process(argv, dict(os.environ))

    async def requests_closed(self, task_ids: list[str]) -> dict[str, int]:
        """Of the tasks held at the gate: how many no longer have a request open (a hostile
        decision was taken), and how many cannot answer the `pending` query (wedged)."""
        found: Counter[str] = Counter()
        for task_id in task_ids:
            handle = self.client.get_workflow_handle(task_id)
            try:
                async with asyncio.timeout(15):
                    pending = await handle.query(PENDING_QUERY, result_type=PendingResult)
                found["open" if pending.requests else "decided"] += 1
            except (RPCError, WorkflowQueryFailedError, TimeoutError):
                found["not answering"] += 1
        return dict(found)


PROCESS_SECONDS = 60.0
"""A CLI process that takes longer is killed (and counted with exit code -9)."""


async def _process(argv: list[str], env: dict[str, str]) -> int:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        return await asyncio.wait_for(process.wait(), PROCESS_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -9


async def history_bytes_added(run: Run, task_id: str, count: int, *, big: bool) -> float | None:
    """History bytes one refused signal adds: `count` of them (an unknown reviewer, or a 1 MB
    reviewer id) sent to a waiting task, measured once its worker has processed them."""
    handle = run.client.get_workflow_handle(task_id)

    async def settled() -> int:
        while True:
            description = (await handle.describe()).raw_description
            if not description.HasField("pending_workflow_task"):
                return int(description.workflow_execution_info.history_size_bytes)
            if time.monotonic() > run.deadline:
                raise TimeoutError
            await asyncio.sleep(0.5)

    before = await settled()
    for _ in range(count):
        try:
            await handle.signal(DECIDE, BIG if big else DECISIONS["unknown reviewer"])
        except RPCError as err:
            if not big:
                raise
            # The server's blob limit refuses it: nothing enters the history.
            print(f"a 1 MB signal was refused by the server: {err.message}", flush=True)
    return round((await settled() - before) / count)


async def outcomes(run: Run, histories: list[History]) -> dict[str, Any]:
    """Tasks started, lost, stuck, by final status, and with another outcome than their kind's."""
    by_status: Counter[str] = Counter()
    wrong: list[str] = []
    for history in histories:
        status = history.closed or "running"
        if status == "completed":
            handle = run.client.get_workflow_handle(history.task_id, result_type=TaskResult)
            status = (await handle.result()).status.value
        by_status[status] += 1
        if status != EXPECTED[run.load.kinds[history.task_id]]:
            wrong.append(history.task_id)
    return {
        "started": len(histories),
        "lost": sum(not h.found or h.closed in LOST for h in histories),
        "stuck": by_status["running"],
        "by_status": dict(by_status),
        "wrong_outcome": len(wrong),
        "wrong_outcome_tasks": wrong[:20],
    }


async def chain_verified(run: Run) -> bool:
    """Whether `hitl audit verify` verifies the chain (against the stack's checkpoints)."""
    return await run.hitl_plain(["audit", "verify"]) == 0
