"""Scale, tried as an operator would: N gated refund tasks parked on one agent worker.

Starts N tasks (a bounded number of starts in flight), waits until all wait for a reviewer
(counting them in visibility every few seconds), then measures the agent worker's RSS and its
CPU while they wait, `hitl inbox` (first page, then every page), and a batch approval of
`--batch` of them by visibility query, each with its per-task answer.

Usage: `python -m bench.scale [--n 10000] [--batch 1000]`; results go to
`bench/results/scale.json` and are printed.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
from temporalio.client import Client

from bench.harness import bench_stack, report_header, write_report
from bench.kinds import GATED_AMOUNT, Gated, seed
from hitl.clean_exit import run_and_exit
from hitl.contracts.inbox import InboxFilter
from hitl.review.inbox import read_page

RESULTS = Path(__file__).parent / "results" / "scale.json"
IN_FLIGHT = 64
"""Starts in flight at once."""
BATCH_AMOUNT = 260
"""The tasks the batch approves ask for this amount (`HitlAmount = 260` selects them)."""
COUNT_EVERY = 5.0
"""Seconds between visibility counts while tasks park."""
SETTLE = 20.0
"""Seconds to let the last notices and audit writes finish before the idle reading."""
IDLE_WINDOW = 30.0
"""Seconds the agent worker's CPU is read over while every task waits."""


async def park(gated: Gated, prefix: str, n: int, batch: int) -> dict[str, Any]:
    """Start N tasks (the first `batch` for BATCH_AMOUNT) and wait until all are parked."""
    ids = [f"{prefix}{i}" for i in range(n)]
    for chunk in range(0, n, 1000):
        await seed(gated.pool, ids[chunk : chunk + 1000])
    gate = asyncio.Semaphore(IN_FLIGHT)
    began = time.time()

    async def start(i: int) -> None:
        async with gate:
            await gated.start(ids[i], BATCH_AMOUNT if i < batch else GATED_AMOUNT)

    starting = asyncio.gather(*(start(i) for i in range(n)))
    timeline: list[tuple[float, int]] = []
    query = f'HitlStatus = "waiting" AND WorkflowId STARTS_WITH "{prefix}"'
    while True:
        await asyncio.sleep(COUNT_EVERY)
        parked = (await gated.client.count_workflows(query)).count
        timeline.append((round(time.time() - began, 1), parked))
        print(f"  {timeline[-1][0]:>7.1f} s: {parked} parked", file=sys.stderr, flush=True)
        if parked >= n:
            break
    await starting
    elapsed = timeline[-1][0]
    return {"seconds": elapsed, "parked_per_second": round(n / elapsed, 2), "timeline": timeline[::6]}


async def timed_cli(env: dict[str, str], *argv: str) -> tuple[float, int, str]:
    """Run the `hitl` CLI; return wall seconds, exit code and stdout."""
    hitl = Path(sys.executable).parent / "hitl"
    began = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(hitl), *argv, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return round(time.monotonic() - began, 2), proc.returncode or 0, out.decode()


async def inbox(client: Client, env: dict[str, str]) -> dict[str, Any]:
    """The first page of the queue, then all of it, as a reviewer runs them (the command's wall
    time includes starting Python; the first page is also read in process)."""
    began = time.monotonic()
    page = await read_page(client, InboxFilter(), datetime.now(UTC))
    in_process = round(time.monotonic() - began, 3)
    first, code, out = await timed_cli(env, "inbox", "--json")
    assert code == 0, out
    every, code, out_all = await timed_cli(env, "inbox", "--all", "--json")
    assert code == 0, out_all
    return {
        "first_page_seconds_in_process": in_process,
        "first_page_in_process_rows": len(page.entries),
        "first_page_seconds": first,
        "first_page_rows": len(out.splitlines()),
        "all_pages_seconds": every,
        "all_rows": len(out_all.splitlines()),
    }


async def batch_approve(env: dict[str, str], batch: int, rps: float) -> dict[str, Any]:
    """`hitl approve --query` on the batch's tasks; count the per-task answers and time its
    phases from the lines it prints: signed (the decision bound to every task's open request),
    signalled (the batch job completed), answered (every task's answer read)."""
    hitl = Path(sys.executable).parent / "hitl"
    argv = ["approve", "--query", f"HitlAmount = {BATCH_AMOUNT}", "--as", "alice", "--limit", str(batch)]
    began = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(hitl),
        *argv,
        "--rps",
        str(rps),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    marks: dict[str, float] = {}

    async def read(stream: asyncio.StreamReader, lines: list[str]) -> None:
        async for raw in stream:
            line = raw.decode().rstrip("\n")
            lines.append(line)
            at = round(time.monotonic() - began, 2)
            if line.startswith("batch ") and " task(s), decision_id " in line:
                marks.setdefault("signed_seconds", at)
            elif "signalled" in line and "(completed)" in line:
                marks.setdefault("signalled_seconds", at)

    out: list[str] = []
    err: list[str] = []
    await asyncio.gather(read(proc.stdout, out), read(proc.stderr, err))
    code = await proc.wait()
    return {
        "seconds": round(time.monotonic() - began, 2),
        **marks,
        "exit_code": code,
        "accepted": sum(line.endswith(" accepted") for line in out),
        "summary": out[-1] if out else "",
    }


def rss_mb(proc: psutil.Process) -> float:
    rss: int = proc.memory_info().rss
    return round(rss / 2**20, 1)


async def idle_cpu(proc: psutil.Process) -> float:
    """Percent of one core the process used over IDLE_WINDOW seconds, once settled."""
    await asyncio.sleep(SETTLE)
    before: float = sum(proc.cpu_times()[:2])
    await asyncio.sleep(IDLE_WINDOW)
    after: float = sum(proc.cpu_times()[:2])
    return round((after - before) / IDLE_WINDOW * 100, 2)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks parked at once")
    parser.add_argument("--batch", type=int, default=1000, help="tasks approved by one batch")
    parser.add_argument(
        "--rps", type=float, default=0.0, help="the batch's signals per second (`hitl approve --rps`)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = report_header("scale", n=args.n, batch=args.batch, rps=args.rps)
    with tempfile.TemporaryDirectory(prefix="hitl-scale-") as tmp:
        async with bench_stack(Path(tmp), with_bare=False) as bench:
            client: Client = bench.client
            worker = psutil.Process(bench.processes()["agent_worker"])
            # The CLI reads payloads with the stack's codec keys and signs with its demo keys.
            env = {
                "TEMPORAL_ADDRESS": bench.stack.address,
                "HITL_STATE_DIR": str(bench.stack.state),
                **bench.stack.codec.key_env,
            }
            gated = Gated(client, bench.pool, bench.reviewer_key())
            report["agent_worker_rss_mb_at_start"] = rss_mb(worker)
            report["parking"] = await park(gated, f"scale-{int(time.time())}-", args.n, args.batch)
            report["agent_worker_rss_mb_parked"] = rss_mb(worker)
            report["agent_worker_idle_cpu_percent"] = await idle_cpu(worker)
            report["inbox"] = await inbox(client, env)
            report["agent_worker_rss_mb_after_inbox"] = rss_mb(worker)
            report["batch_approval"] = await batch_approve(env, args.batch, args.rps)
            report["agent_worker_rss_mb_end"] = rss_mb(worker)
    report["load_average_after"] = round(os.getloadavg()[0], 2)
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
