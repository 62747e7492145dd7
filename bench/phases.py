"""The measured phases of the gate bench, each run the same way for either kind of workflow.

- `gated_batch`: N started at once until all parked at the gate (starts/s), then N decided at
  once until every refund ran (decisions/s, decision-to-execution p50/p99 under load) and every
  task completed (tasks/s end to end);
- `unloaded`: K parked, then decided one at a time, each waited to completion (p50/p99);
- `auto_batch`: N whose refund runs on its own, started at once until all completed (tasks/s);
- `auto_unloaded`: K of those one at a time, start to refund executed (p50).

Times are epoch seconds on this machine: the client's clock when a call is sent, the server's
event time for parking, PostgreSQL's `now()` for the refund.
"""

import asyncio
import time
from typing import Any

from temporalio.client import WorkflowHandle

from bench.harness import CpuMeter, all_parked, percentile
from bench.kinds import AUTO_AMOUNT, GATED_AMOUNT, Kind, executed_at, seed


def _ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


async def _start_all(kind: Kind, ids: list[str], amount: float) -> list[WorkflowHandle[Any, Any]]:
    await seed(kind.pool, ids)
    return list(await asyncio.gather(*(kind.start(i, amount) for i in ids)))


async def _done(kind: Kind, handle: WorkflowHandle[Any, Any]) -> float:
    await kind.finished(handle)
    return time.time()


async def gated_batch(kind: Kind, prefix: str, n: int) -> dict[str, float]:
    """Start N, wait until all parked, decide all, wait until all ran and completed."""
    ids = [f"{prefix}g{i}" for i in range(n)]
    await seed(kind.pool, ids)
    began = time.time()
    handles = list(await asyncio.gather(*(kind.start(i, GATED_AMOUNT) for i in ids)))
    parked = await all_parked(handles)
    signing = time.time()
    decisions = await asyncio.gather(*(kind.prepare(h) for h in handles))
    signing = time.time() - signing  # the reviewers' side, not the workflow's: not counted
    sent = await asyncio.gather(*(kind.decide(h, d) for h, d in zip(handles, decisions, strict=True)))
    completed = await asyncio.gather(*(_done(kind, h) for h in handles))
    ran = [await executed_at(kind.pool, i) for i in ids]
    latency = _ms([r - s for s, r in zip(sent, ran, strict=True)])
    return {
        "starts_per_second": n / (max(parked) - began),
        "decisions_per_second": n / (max(ran) - min(sent)),
        "tasks_per_second": n / (max(completed) - began - signing),
        "latency_loaded_p50_ms": percentile(latency, 50),
        "latency_loaded_p99_ms": percentile(latency, 99),
    }


async def unloaded(kind: Kind, prefix: str, k: int) -> dict[str, float]:
    """Park K, then decide them one at a time, each to completion."""
    ids = [f"{prefix}u{i}" for i in range(k)]
    handles = await _start_all(kind, ids, GATED_AMOUNT)
    await all_parked(handles)
    latency: list[float] = []
    for task_id, handle in zip(ids, handles, strict=True):
        sent = await kind.decide(handle, await kind.prepare(handle))
        await kind.finished(handle)
        latency.append((await executed_at(kind.pool, task_id) - sent) * 1000)
    return {
        "latency_unloaded_p50_ms": percentile(latency, 50),
        "latency_unloaded_p99_ms": percentile(latency, 99),
    }


async def auto_batch(kind: Kind, prefix: str, n: int) -> dict[str, float]:
    """Start N tasks whose refund needs nobody; wait until all completed."""
    ids = [f"{prefix}a{i}" for i in range(n)]
    await seed(kind.pool, ids)
    began = time.time()
    handles = list(await asyncio.gather(*(kind.start(i, AUTO_AMOUNT) for i in ids)))
    completed = await asyncio.gather(*(_done(kind, h) for h in handles))
    return {"auto_tasks_per_second": n / (max(completed) - began)}


async def auto_unloaded(kind: Kind, prefix: str, k: int) -> dict[str, float]:
    """Run K auto tasks one at a time: start sent to refund executed."""
    ids = [f"{prefix}s{i}" for i in range(k)]
    await seed(kind.pool, ids)
    latency: list[float] = []
    for task_id in ids:
        sent = time.time()
        await kind.finished(await kind.start(task_id, AUTO_AMOUNT))
        latency.append((await executed_at(kind.pool, task_id) - sent) * 1000)
    return {"auto_latency_p50_ms": percentile(latency, 50), "auto_latency_p99_ms": percentile(latency, 99)}


async def measure(
    kind: Kind, prefix: str, n: int, k: int, meter: CpuMeter
) -> tuple[dict[str, float], dict[str, Any]]:
    """Every phase for one kind; returns the figures and the CPU seconds each phase used."""
    figures: dict[str, float] = {}
    cpu: dict[str, Any] = {}
    meter.lap()
    for name, phase, count in (
        ("gated_batch", gated_batch, n),
        ("unloaded", unloaded, k),
        ("auto_batch", auto_batch, n),
        ("auto_unloaded", auto_unloaded, k),
    ):
        figures.update(await phase(kind, prefix, count))
        cpu[name] = meter.lap()
    return {key: round(value, 2) for key, value in figures.items()}, cpu
