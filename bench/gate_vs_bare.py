"""Gated refund tasks next to a bare signal-then-activity workflow, on one dev server, in one run.

For each kind, N workflows are started at once, the run waits until all N wait for their human
(visibility `HitlStatus="waiting"`), sends all N decisions at once ("under load") and waits until
all complete. Then K more are decided one at a time ("unloaded"). Figures:

- tasks/s end to end: N / (first start .. last completion), including the decision;
- decision-to-execution latency p50/p99: decision sent (client clock) to the side effect (the
  refund row's `issued_at` in PostgreSQL; the bare activity's own clock), under load and unloaded;
- the ratio gated/bare for each.

Usage: `python -m bench.gate_vs_bare [--n 100] [--k 20]`; results go to
`bench/results/gate_vs_bare.json` and are printed.
"""

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client, WorkflowHandle

from activities.tools.shop_seed import DemoOrder, seed_orders
from bench.bare import BARE_WORKFLOW, BareInput, Executed, Go
from hitl.clean_exit import run_and_exit
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, Decision, Outcome, TaskResult
from hitl.names import DECIDE
from store.db import create_pool
from workers.local.ports import free_port
from workers.local.processes import Child
from workers.local.scratch import scratch_settings
from workers.stack import Stack

RESULTS = Path(__file__).parent / "results" / "gate_vs_bare.json"


@dataclass
class Figures:
    """What one kind of workflow achieved."""

    n: int
    tasks_per_second: float
    latency_loaded_p50_ms: float
    latency_loaded_p99_ms: float
    latency_unloaded_p50_ms: float
    latency_unloaded_p99_ms: float


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def wait_waiting(client: Client, prefix: str, count: int) -> None:
    """Until `count` workflows with ids starting `prefix` wait for a decision."""
    query = f'HitlStatus="waiting" AND WorkflowId STARTS_WITH "{prefix}"'
    # Visibility is the only view both kinds share; polling it is what a reviewer's queue does.
    while (await client.count_workflows(query)).count < count:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


class Gated:
    """Refund tasks above the approval threshold: propose, gate, approve, execute, complete."""

    def __init__(self, client: Client, pool: asyncpg.Pool) -> None:
        self.client = client
        self.pool = pool

    async def start(self, prefix: str, count: int) -> list[WorkflowHandle[Any, Any]]:
        orders = [
            DemoOrder(order_id=f"{prefix}{i}", customer_email="b@example.com", total=Decimal("900"))
            for i in range(count)
        ]
        await seed_orders(self.pool, orders)
        return list(
            await asyncio.gather(
                *[
                    start_task(
                        self.client,
                        AgentTaskInput(
                            task_id=f"{prefix}{i}",
                            kind="refund",
                            requester="bench",
                            subject={"order_id": f"{prefix}{i}", "amount": 250},
                        ),
                    )
                    for i in range(count)
                ]
            )
        )

    async def decide(self, handle: WorkflowHandle[Any, Any]) -> float:
        sent = time.time()
        await handle.signal(DECIDE, Decision(outcome=Outcome.APPROVE, reviewer="alice"))
        return sent

    async def executed_at(self, handle: WorkflowHandle[Any, Any]) -> float:
        result: TaskResult = await handle.result()
        assert result.status.value == "completed", result
        issued = await self.pool.fetchval(
            "SELECT issued_at FROM shop.refunds WHERE idempotency_key = $1", f"{handle.id}/step-1"
        )
        return float(issued.timestamp())


class Bare:
    """The bare workflow: wait for a signal, run one activity."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def start(self, prefix: str, count: int) -> list[WorkflowHandle[Any, Any]]:
        return list(
            await asyncio.gather(
                *[
                    self.client.start_workflow(
                        BARE_WORKFLOW,
                        BareInput(name=f"{prefix}{i}"),
                        id=f"{prefix}{i}",
                        task_queue=self.task_queue,
                        result_type=Executed,
                    )
                    for i in range(count)
                ]
            )
        )

    async def decide(self, handle: WorkflowHandle[Any, Any]) -> float:
        sent = time.time()
        await handle.signal("go", Go())
        return sent

    async def executed_at(self, handle: WorkflowHandle[Any, Any]) -> float:
        executed: Executed = await handle.result()
        return executed.at


async def measure(kind: Gated | Bare, prefix: str, n: int, k: int) -> Figures:
    """Run the loaded batch of N, then K unloaded, and compute the figures."""
    began = time.time()
    handles = await kind.start(f"{prefix}l-", n)
    await wait_waiting(kind.client, f"{prefix}l-", n)
    sent = await asyncio.gather(*[kind.decide(h) for h in handles])
    executed = await asyncio.gather(*[kind.executed_at(h) for h in handles])
    elapsed = time.time() - began
    loaded = [(e - s) * 1000 for s, e in zip(sent, executed, strict=True)]

    unloaded: list[float] = []
    solo = await kind.start(f"{prefix}u-", k)
    await wait_waiting(kind.client, f"{prefix}u-", k)
    for handle in solo:
        s = await kind.decide(handle)
        unloaded.append((await kind.executed_at(handle) - s) * 1000)
    return Figures(
        n=n,
        tasks_per_second=round(n / elapsed, 2),
        latency_loaded_p50_ms=round(percentile(loaded, 50), 1),
        latency_loaded_p99_ms=round(percentile(loaded, 99), 1),
        latency_unloaded_p50_ms=round(percentile(unloaded, 50), 1),
        latency_unloaded_p99_ms=round(percentile(unloaded, 99), 1),
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="workflows per loaded batch")
    parser.add_argument("--k", type=int, default=20, help="workflows decided one at a time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hitl-bench-") as tmp:
        state = Path(tmp)
        stack = Stack(
            scratch_settings(state), temporal_port=free_port(), ui_port=None, codec_port=free_port()
        )
        bare_worker = Child(
            "bare-worker",
            [sys.executable, "-m", "bench.bare", f"127.0.0.1:{stack.temporal_port}", "bench-bare"],
            state / "logs" / "bare-worker.log",
        )
        try:
            client = await stack.start()
            bare_worker.env = stack.codec.key_env  # the bare worker encrypts as the gated one does
            bare_worker.start()
            assert stack.postgres is not None
            pool = await create_pool(stack.postgres.worker_dsn, max_size=10)
            try:
                run = str(int(time.time()))
                bare = await measure(Bare(client, "bench-bare"), f"bare-{run}-", args.n, args.k)
                gated = await measure(Gated(client, pool), f"gated-{run}-", args.n, args.k)
            finally:
                await pool.close()
        finally:
            bare_worker.stop()
            stack.stop()

    report = {
        "benchmark": "gate_vs_bare",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "server": "temporal server start-dev (SQLite file, WAL), workers as separate processes",
        "gated": asdict(gated),
        "bare": asdict(bare),
        "ratio_gated_over_bare": {
            "tasks_per_second": round(gated.tasks_per_second / bare.tasks_per_second, 3),
            "latency_loaded_p50": round(gated.latency_loaded_p50_ms / bare.latency_loaded_p50_ms, 2),
            "latency_loaded_p99": round(gated.latency_loaded_p99_ms / bare.latency_loaded_p99_ms, 2),
            "latency_unloaded_p50": round(gated.latency_unloaded_p50_ms / bare.latency_unloaded_p50_ms, 2),
            "latency_unloaded_p99": round(gated.latency_unloaded_p99_ms / bare.latency_unloaded_p99_ms, 2),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    run_and_exit(main())
