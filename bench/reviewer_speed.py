"""How many commands, keys, clicks and seconds a reviewer needs to decide: through the `hitl` CLI,
the reviewer inbox and the Temporal Web UI's signal dialog, for one request, and for 50 similar
requests one by one and as a batch.

CLI: the clock starts when the new-request notice lands in the outbox (the default channel) and
stops when the decision is applied (the update's answer for one request; the batch report for
a batch) and when the task has completed. Every command is the real `hitl` console script run
as a process, so its start-up cost counts. Browser (`bench.reviewer_speed_browser`): from the
page showing the card to the decision applied in the workflow. Reading time is the human's and
is not measured: the figure is what the tools add to it.

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
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client, WorkflowHandle

from activities.tools.shop_seed import DemoOrder, seed_orders
from bench import reviewer_speed_browser as browser_scenarios
from bench.scenario import Scenario
from hitl.clean_exit import run_and_exit
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus
from workers.local.chromium import CHROMIUM, CHROMIUM_ARGS, chromium_found
from workers.local.inbox import demo_password, inbox_url
from workers.local.scratch import scratch_stack
from workers.stack import Stack

RESULTS = Path(__file__).parent / "results" / "reviewer_speed.json"
HITL = str(Path(sys.executable).parent / "hitl")
BATCH_QUERY = 'HitlAssignees = "support-leads" AND HitlActionType = "issue_refund" AND HitlAmount <= 500'


class Bench:
    """A running stack and helpers to start refunds and run `hitl` commands."""

    def __init__(self, stack: Stack, client: Client, pool: asyncpg.Pool) -> None:
        self.stack = stack
        self.client = client
        self.pool = pool
        # The state folder holds the demo reviewers' keys: the CLI signs with them.
        self.env = {
            **os.environ,
            "TEMPORAL_ADDRESS": stack.address,
            "HITL_STATE_DIR": str(stack.state),
            **stack.codec.key_env,
        }
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
        "CLI, 1 request: inbox, show, approve",
        1,
        bench.commands,
        decided - start,
        done - start,
        decided - start,
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
        f"CLI, {n} requests one by one: inbox, {n} x approve",
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
        f"CLI, {n} requests as a batch: inbox, show one, approve --query",
        n,
        bench.commands,
        decided - start,
        done - start,
        (decided - start) / n,
    )


async def fresh(bench: Bench, prefix: str, count: int) -> list[WorkflowHandle[Any, TaskResult]]:
    """Start `count` refunds and return once their notices are out."""
    handles = await bench.refunds(prefix, count)
    await bench.notified([h.id for h in handles])
    return handles


async def web_ui_one(bench: Bench, page: Any, handle: WorkflowHandle[Any, TaskResult]) -> Scenario:
    """The Web UI's signal dialog, with the decision `hitl sign` prints pasted into it (a
    high-risk refund counts only signed decisions)."""

    async def sign() -> str:
        return await asyncio.to_thread(bench.hitl, "sign", "approve", handle.id, "--as", "alice")

    return await browser_scenarios.web_ui_one(page, bench.stack.ui_url, handle, sign)


async def in_browser(bench: Bench, n: int) -> list[Scenario]:
    """The inbox (1, n one by one, n as a batch) and the Web UI's signal dialog (1), in Chromium."""
    if not chromium_found():
        print(f"no Chromium at {CHROMIUM}: the browser scenarios are skipped", file=sys.stderr)
        return []
    from playwright.async_api import async_playwright

    assert bench.stack.inbox_port is not None
    inbox = inbox_url(bench.stack.inbox_port)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser_scenarios.logged_in(
                browser, inbox, "alice", demo_password(bench.stack.state, "alice") or ""
            )
            return [
                await browser_scenarios.inbox_one(page, inbox, (await fresh(bench, "inbox-one", 1))[0]),
                await browser_scenarios.inbox_each(page, inbox, await fresh(bench, "inbox-each", n)),
                await browser_scenarios.inbox_batch(page, inbox, await fresh(bench, "inbox-batch", n)),
                await web_ui_one(bench, page, (await fresh(bench, "ui-one", 1))[0]),
            ]
        finally:
            await browser.close()


def table(scenarios: list[Scenario]) -> str:
    header = (
        f"{'scenario':<66} {'requests':>8} {'commands':>8} {'keys':>5} {'clicks':>6} "
        f"{'to decided s':>12} {'to completed s':>14} {'s/request':>9}"
    )
    rows = [
        f"{s.name:<66} {s.requests:>8} {s.commands:>8} {s.keystrokes:>5} {s.clicks:>6} "
        f"{s.seconds_to_decided:>12.2f} {s.seconds_to_completed:>14.2f} {s.seconds_per_request:>9.2f}"
        for s in scenarios
    ]
    return "\n".join([header, *rows])


async def main(n: int) -> int:
    with tempfile.TemporaryDirectory(prefix="hitl-bench-reviewer-") as tmp:
        async with scratch_stack(Path(tmp), pool_size=4, with_ui=True, with_inbox=True) as started:
            bench = Bench(started.stack, started.client, started.pool)
            scenarios = [await one_request(bench), await one_by_one(bench, n), await batch(bench, n)]
            scenarios += await in_browser(bench, n)
    result = {
        "benchmark": "reviewer_speed",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "server": "temporal server start-dev (SQLite file, WAL), workers as separate processes",
        "clock": "CLI: new-request notice in the outbox .. decision applied (CLI answer) / task completed; "
        "browser: card (or queue) shown .. decision applied (status query) / task completed",
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
