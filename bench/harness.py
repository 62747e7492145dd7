"""What the benchmarks share: a scratch stack with the bare worker beside the agent worker, the
CPU each process used, and knowing when a workflow parked at its gate.

Parking is read from each workflow's own history with a long poll
(`fetch_history_events(wait_new_event=True)`): the server answers when the workflow upserts
`HitlStatus="waiting"`, so nothing polls visibility, and gated and bare workflows are watched the
same way.
"""

import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle

import policies
from hitl import search_attributes as sa
from hitl.review.signing import key_file_name, read_key
from hitl.settings.groups import WorkflowRunnerSettings
from store.db import create_pool
from workers.local.ports import free_port
from workers.local.processes import Child
from workers.local.scratch import scratch_settings
from workers.stack import Stack

BARE_QUEUE = "bench-bare"
CALIBRATION = ("\nmin_decisions = 20\n", "\nmin_decisions = 0\n")
"""The refund policy's calibration line, and the bench's: an agent whose confidence is trusted
(as after its first 20 reviewed refunds), so that small refunds run alone from the first task."""
WATCHERS = 64
"""History long polls in flight at once while waiting for workflows to park."""
CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
}


@dataclass
class BenchStack:
    """A started stack with the bare worker, a client and a pool (the workers' role)."""

    stack: Stack
    bare_worker: Child | None
    client: Client
    pool: asyncpg.Pool

    def processes(self) -> dict[str, int]:
        """Process ids to meter, by role."""
        assert self.stack.postgres is not None
        pid_file = self.stack.postgres.data_dir / "postmaster.pid"
        found = {
            "agent_worker": self.stack.child("agent-worker"),
            "notification_worker": self.stack.child("notification-worker"),
            "bare_worker": self.bare_worker,
            "temporal_server": self.stack.child("temporal"),
        }
        pids = {
            name: child.process.pid
            for name, child in found.items()
            if child is not None and child.process is not None
        }
        pids["postgres"] = int(pid_file.read_text().split()[0])
        return pids

    def reviewer_key(self, name: str = "alice") -> Ed25519PrivateKey:
        """A demo reviewer's signing key, as the stack made it."""
        return read_key(self.stack.state / "reviewer-keys" / key_file_name(name))


def bench_policies(folder: Path) -> Path:
    """The packaged policies copied to `folder`, with the refund agent's confidence calibrated."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in Path(policies.__file__).parent.glob("*.toml"):
        (folder / source.name).write_text(source.read_text())
    refund = folder / "refund.toml"
    shipped, calibrated = CALIBRATION
    assert shipped in refund.read_text(), "the shipped refund policy's calibration line moved"
    refund.write_text(refund.read_text().replace(shipped, calibrated))
    return folder


@contextlib.asynccontextmanager
async def bench_stack(state: Path, *, with_bare: bool = True) -> AsyncIterator[BenchStack]:
    """Start the local stack on free ports in `state`, plus the bare worker unless told not to;
    stop all on exit."""
    settings = scratch_settings(state, policy_dir=bench_policies(state / "bench-policies"))
    stack = Stack(settings, temporal_port=free_port(), ui_port=None, codec_port=free_port())
    bare: Child | None = None
    try:
        client = await stack.start()
        assert stack.postgres is not None
        if with_bare:
            bare = Child(
                "bare-worker",
                [sys.executable, "-m", "bench.bare", stack.address, BARE_QUEUE, stack.postgres.worker_dsn],
                state / "logs" / "bare-worker.log",
                env=stack.codec.key_env,  # the bare worker encrypts payloads as the agent worker does
            ).start()
        pool = await create_pool(stack.postgres.worker_dsn, max_size=10)
        try:
            yield BenchStack(stack, bare, client, pool)
        finally:
            await pool.close()
    finally:
        if bare is not None:
            bare.stop()
        stack.stop()


class CpuMeter:
    """CPU seconds (user + system) of processes and their children, between two readings."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, proc in self._procs.items():
            total = 0.0
            for p in [proc, *proc.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
            totals[name] = total
        return totals

    def lap(self) -> dict[str, float]:
        """CPU seconds used since the last lap (or the start), by process."""
        now = self._read()
        used = {name: round(now[name] - self._start[name], 2) for name in now}
        self._start = now
        return used


def parks(event: HistoryEvent) -> bool:
    """Whether this history event is the upsert of `HitlStatus="waiting"`."""
    if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return False
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    status = fields.get(sa.HITL_STATUS.name)
    return status is not None and bool(status.data) and json.loads(status.data) == "waiting"


async def parked_at(handle: WorkflowHandle[Any, Any]) -> float:
    """Server time (epoch seconds) at which the workflow upserted `HitlStatus="waiting"`.

    Raises:
        RuntimeError: The workflow closed without parking.
    """
    async for event in handle.fetch_history_events(wait_new_event=True):
        if parks(event):
            return event.event_time.ToMicroseconds() / 1e6
        if event.event_type in CLOSED:
            break
    raise RuntimeError(f"{handle.id} closed without waiting for a decision")


async def all_parked(handles: Sequence[WorkflowHandle[Any, Any]]) -> list[float]:
    """When each workflow parked, watching at most `WATCHERS` at a time."""
    gate = asyncio.Semaphore(WATCHERS)

    async def one(handle: WorkflowHandle[Any, Any]) -> float:
        async with gate:
            return await parked_at(handle)

    return list(await asyncio.gather(*(one(h) for h in handles)))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, minimum and maximum of repeated measurements."""
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def write_report(report: dict[str, Any], out: Path) -> None:
    """Write the report as JSON to `out` and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def report_header(benchmark: str, **fields: Any) -> dict[str, Any]:
    """The fields every report starts with: what, when, on what machine, under what load, and
    whether the workers run workflow code in the sandbox (`HITL_WORKFLOW_SANDBOX`)."""
    return {
        "benchmark": benchmark,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_before": round(os.getloadavg()[0], 2),
        "workflow_sandbox": WorkflowRunnerSettings.from_env().workflow_sandbox,
        **fields,
    }
