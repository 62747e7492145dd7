"""How many commands and seconds a reviewer needs, from notification to decision applied,
through the `hitl` CLI: for one request, and for 50 similar requests one by one and as a batch.

The clock starts when the new-request notice lands in the outbox (the default channel) and
stops when the decision is applied (the update's answer for one request; the batch report for
a batch) and when the task has completed. Every command is the real `hitl` console script run
as a process, so its start-up cost counts. Reading time is the human's and is not measured:
the figure is what the tools add to it.

Usage: `python -m bench.reviewer_speed [--n 50]`; results go to
`bench/results/reviewer_speed.json` and are printed as a table.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
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
from hitl.clean_exit import run_and_exit
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus
from workers.local.scratch import scratch_stack
from workers.stack import Stack

RESULTS = Path(__file__).parent / "results" / "reviewer_speed.json"
HITL = str(Path(sys.executable).parent / "hitl")
BATCH_QUERY = 'HitlAssignees = "support-leads" AND HitlActionType = "issue_refund" AND HitlAmount <= 500'


@dataclass
class Scenario:
    """One way of getting through a set of requests."""

    name: str
    requests: int
    commands: int
    seconds_to_decided: float
    """Outbox notice of the last request .. the last decision applied."""
    seconds_to_completed: float
    """Outbox notice of the last request .. every task completed."""
    seconds_per_request: float


class Bench:
    """A running stack and helpers to start refunds and run `hitl` commands."""

    def __init__(self, stack: Stack, client: Client, pool: asyncpg.Pool) -> None:
        self.stack = stack
        self.client = client
        self.pool = pool
        self.env = {**os.environ, "TEMPORAL_ADDRESS": stack.address, **stack.codec.key_env}
        self.commands = 0

    def hitl(self, *args: str) -> str:
        """Run one `hitl` command as a reviewer would; return its output."""
        self.commands += 1
        run = subprocess.run(
            [HITL, *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        if run.returncode != 0:
            raise RuntimeError(f"hitl {' '.join(args)} exited {run.returncode}: {run.stderr}")
        return run.stdout

    async def refunds(self, prefix: str, n: int) -> list[WorkflowHandle[Any, TaskResult]]:
        """Start `n` similar refunds of 250 that stop at the gate."""
        orders = [
            DemoOrder(order_id=f"{prefix}-o{i}", customer_email="kim@example.com", total=Decimal("900"))
            for i in range(n)
        ]
        await seed_orders(self.pool, orders)
        return [
            await start_task(
                self.client,
                AgentTaskInput(
                    task_id=f"{prefix}-{i}",
                    kind="refund",
                    requester="svc-support",
                    subject={"order_id": order.order_id, "amount": 250},
                ),
            )
            for i, order in enumerate(orders)
        ]

    async def notified(self, task_ids: list[str]) -> float:
        """Wait until every task's new-request notice is in the outbox; return that moment."""
        outbox = self.stack.settings.outbox
        wanted = set(task_ids)
        while True:
            seen: set[str] = set()
            if outbox.exists():
                for line in outbox.read_text().splitlines():
                    notice = json.loads(line)
                    if notice["kind"] == "new_request" and notice["task_id"] in wanted:
                        seen.add(notice["task_id"])
            if seen == wanted:
                return time.monotonic()
            await asyncio.sleep(0.02)


async def completed(handles: list[WorkflowHandle[Any, TaskResult]]) -> float:
    results = await asyncio.gather(*(h.result() for h in handles))
    if any(r.status is not TaskStatus.COMPLETED for r in results):
        raise RuntimeError("a task did not complete")
    return time.monotonic()


async def one_request(bench: Bench) -> Scenario:
    [handle] = await bench.refunds("one", 1)
    start = await bench.notified([handle.id])
    bench.commands = 0
    await asyncio.to_thread(bench.hitl, "inbox", "--group", "support-leads")
    await asyncio.to_thread(bench.hitl, "show", handle.id)
    await asyncio.to_thread(bench.hitl, "approve", handle.id, "--as", "alice")
    decided = time.monotonic()
    done = await completed([handle])
    return Scenario(
        "1 request: inbox, show, approve", 1, bench.commands, decided - start, done - start, decided - start
    )


async def one_by_one(bench: Bench, n: int) -> Scenario:
    handles = await bench.refunds("each", n)
    start = await bench.notified([h.id for h in handles])
    bench.commands = 0
    await asyncio.to_thread(bench.hitl, "inbox", "--group", "support-leads")
    for handle in handles:
        await asyncio.to_thread(bench.hitl, "approve", handle.id, "--as", "alice")
    decided = time.monotonic()
    done = await completed(handles)
    return Scenario(
        f"{n} requests one by one: inbox, {n} x approve",
        n,
        bench.commands,
        decided - start,
        done - start,
        (decided - start) / n,
    )


async def batch(bench: Bench, n: int) -> Scenario:
    handles = await bench.refunds("batch", n)
    start = await bench.notified([h.id for h in handles])
    bench.commands = 0
    await asyncio.to_thread(bench.hitl, "inbox", "--group", "support-leads", "--action", "issue_refund")
    await asyncio.to_thread(bench.hitl, "show", handles[0].id)
    report = await asyncio.to_thread(bench.hitl, "approve", "--query", BATCH_QUERY, "--as", "alice")
    decided = time.monotonic()
    if f": {n} accepted, 0 refused" not in report.splitlines()[-1]:
        raise RuntimeError(f"the batch did not accept all {n}: {report}")
    done = await completed(handles)
    return Scenario(
        f"{n} requests as a batch: inbox, show one, approve --query",
        n,
        bench.commands,
        decided - start,
        done - start,
        (decided - start) / n,
    )


def table(scenarios: list[Scenario]) -> str:
    header = f"{'scenario':<58} {'requests':>8} {'commands':>8} {'to decided s':>12} {'to completed s':>14} {'s/request':>9}"
    rows = [
        f"{s.name:<58} {s.requests:>8} {s.commands:>8} {s.seconds_to_decided:>12.2f} {s.seconds_to_completed:>14.2f} {s.seconds_per_request:>9.2f}"
        for s in scenarios
    ]
    return "\n".join([header, *rows])


async def main(n: int) -> int:
    with tempfile.TemporaryDirectory(prefix="hitl-bench-reviewer-") as tmp:
        async with scratch_stack(Path(tmp), pool_size=4) as started:
            bench = Bench(started.stack, started.client, started.pool)
            scenarios = [await one_request(bench), await one_by_one(bench, n), await batch(bench, n)]
    result = {
        "benchmark": "reviewer_speed",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "server": "temporal server start-dev (SQLite file, WAL), workers as separate processes",
        "clock": "new-request notice in the outbox .. decision applied (CLI answer) / task completed",
        "scenarios": [asdict(s) for s in scenarios],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(table(scenarios))
    print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=50, help="similar requests for the one-by-one and batch runs"
    )
    run_and_exit(main(parser.parse_args().n))
