"""Faults, as a benchmark (issue 14): the local stack's real processes are broken while refund
tasks run, and what happened to the tasks is measured from the outside.

1. Mixed tasks (`bench.fault_load`) with the agent worker SIGKILLed `kills` times while the
   reviewer decides (with `--replicas 2`: one agent and one notification worker of two each time).
2. The Temporal dev server SIGKILLed and restarted on its SQLite file while `waiting` tasks wait
   for a human and `running` tasks run.
3. PostgreSQL stopped for `pg_seconds` while tasks run and decisions arrive.
4. `hostile` malformed and hostile decisions (`bench.fault_hostile`) at waiting tasks.
Then it counts, for every task: lost (unknown to the server, or failed / terminated), stuck
(still open at the end), wrong outcome, duplicated refunds and emails, audit events missing or
duplicated, whether `hitl audit verify` verifies the chain, WorkflowTaskFailed events, decisions
wrongly accepted, history bytes per refused signal, and recovery per fault (`bench.fault_checks`).

The run is bounded by `--deadline` seconds; when it hits, the phases stop waiting and the checks
report what they find. Usage: `python -m bench.faults [--quick] [--replicas 2]`; results go to
`bench/results/faults.json` (one entry per mode) and are printed.
"""

import argparse
import asyncio
import functools
import json
import os
import platform
import signal
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.fault_checks import History, audit_findings, fetch_histories, recovery, side_effects
from bench.fault_hostile import Hostile
from bench.fault_load import MIX, Load
from bench.fault_run import Run, chain_verified, history_bytes_added, outcomes
from bench.fault_stack import FaultStack
from hitl.clean_exit import run_and_exit
from workers.local.scratch import scratch_stack

RESULTS = Path(__file__).parent / "results" / "faults.json"


@dataclass(frozen=True)
class Plan:
    """How much of each fault and load."""

    tasks: int
    kills: int
    waiting: int
    running: int
    pg_seconds: float
    hostile: int
    cli: int
    """Hostile decisions through each of the `hitl` and `temporal` CLIs (a process each)."""
    big: int
    """Hostile decisions with a 1 MB reviewer id."""
    settle: float
    """Seconds each phase waits for its tasks to close before it goes on."""
    deadline: float


FULL = Plan(
    tasks=500,
    kills=3,
    waiting=100,
    running=50,
    pg_seconds=30,
    hostile=2000,
    cli=50,
    big=10,
    settle=600,
    deadline=3600,
)
QUICK = Plan(
    tasks=60,
    kills=3,
    waiting=20,
    running=10,
    pg_seconds=10,
    hostile=200,
    cli=8,
    big=2,
    settle=90,
    deadline=900,
)
TARGETS = 10
"""Waiting tasks the hostile decisions are aimed at."""
HOSTILE_SETTLE = 120.0
"""Seconds the approved hostile targets get to close: a task a hostile input wedged never does."""


def decided_share(load: Load, share: float) -> bool:
    """Whether the reviewer has decided `share` tasks."""
    return len(load.decided) >= share


async def phases(run: Run, plan: Plan) -> None:
    """The four faults, in order, each waiting (within the deadline) for its tasks to close."""
    load, stack = run.load, run.faults
    run.note(f"{plan.tasks} mixed tasks, {plan.kills} worker kills")
    mixed = await load.start("mix", [MIX[i % len(MIX)] for i in range(plan.tasks)])
    gated = sum(load.kinds[t] != "auto" for t in mixed)
    for k in range(plan.kills):
        await run.until(functools.partial(decided_share, load, gated * (k + 1) / (plan.kills + 1)))
        await stack.kill_worker("agent-worker")
        run.note(f"killed an agent worker with {len(load.decided)} of {gated} decided")
        if stack.replicas > 1:
            await stack.kill_worker("notification-worker")
    await run.closed(mixed, plan.settle)

    run.note(f"{plan.waiting} waiting and {plan.running} running tasks, Temporal server killed")
    waiting = await load.start("wait", ["approve"] * plan.waiting, hold=True)
    await run.until(lambda: set(waiting) <= load.notified)
    running = await load.start("run", ["auto"] * plan.running)
    await stack.kill_server()
    load.held -= set(waiting)
    await run.closed(waiting + running, plan.settle)

    run.note(f"PostgreSQL stopped {plan.pg_seconds:g} s")
    during = await load.start("pg", [MIX[i % len(MIX)] for i in range(plan.running)])
    await stack.stop_postgres(plan.pg_seconds)
    await run.closed(during, plan.settle)

    run.note(f"{plan.hostile} hostile decisions")
    targets = await load.start("hostile", ["approve"] * TARGETS, hold=True)
    await run.until(lambda: set(targets) <= load.notified)
    run.result["history_bytes_per_refused_signal"] = await history_bytes_added(
        run, targets[-1], 20, big=False
    )
    run.result["history_bytes_per_1mb_refused_signal"] = await history_bytes_added(
        run, targets[-2], 1, big=True
    )
    hostile = Hostile(run.client, targets[:-2], run.hitl, run.temporal)
    await hostile.send(plan.hostile, plan.cli, plan.big)
    run.result["hostile"] = {"sent": sum(hostile.sent.values()), "by_case": dict(hostile.sent)}
    run.result["hostile"]["answers"] = dict(hostile.answers)
    run.result["hostile"]["wrongly_accepted_by_update"] = hostile.answers["update: accepted"]
    run.result["hostile"]["targets_decided_by_hostile"] = await run.requests_closed(targets)
    load.held -= set(targets)
    await run.closed(targets, min(plan.settle, HOSTILE_SETTLE))


async def measure(run: Run) -> None:
    """Every count of the results, from histories and the database."""
    ids = sorted(run.load.kinds)
    histories: list[History] = await fetch_histories(run.client, ids)
    notify_prefix = run.live.stack.settings.notify_task_queue
    tasks = await outcomes(run, histories)
    run.result["tasks"] = tasks
    run.result["workflow_task_failures"] = sum(h.workflow_task_failures for h in histories)
    run.result["tasks_with_workflow_task_failures"] = sorted(
        h.task_id for h in histories if h.workflow_task_failures
    )[:20]
    run.result["side_effects"] = await side_effects(run.pool, ids)
    run.result["audit"] = await audit_findings(run.pool, histories)
    run.result["chain_verified"] = await chain_verified(run)
    run.result["recovery"] = [recovery(histories, f, notify_prefix) for f in run.faults.faults]
    run.result["worker_restarts_unplanned"] = run.revived


async def bench(plan: Plan, replicas: int, state: Path) -> dict[str, Any]:
    started = time.monotonic()
    async with scratch_stack(state) as live:
        faults = FaultStack(live, replicas)
        faults.add_replicas()
        os.environ["HITL_STATE_DIR"] = str(live.stack.state)  # the signer finds the demo keys there
        load = Load(live.client, live.pool, live.stack.settings.outbox.resolve())
        run = Run(live, faults, load, deadline=time.monotonic() + plan.deadline * 0.85)
        stop = asyncio.Event()
        reviewer = asyncio.create_task(load.review(stop))
        try:
            await phases(run, plan)
        except TimeoutError:
            run.result["deadline_hit"] = True
        except Exception as err:  # report what was seen up to here, and what broke the run
            run.result["error"] = repr(err)
        finally:
            stop.set()
            await reviewer
        run.note("measuring")
        await measure(run)
    run.result["elapsed_seconds"] = round(time.monotonic() - started, 1)
    return run.result


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run of a few minutes")
    parser.add_argument("--replicas", type=int, default=1, help="agent and notification workers of each kind")
    parser.add_argument("--deadline", type=float, help="seconds the whole run may take")
    parser.add_argument("--label", help="name of the entry in the results file (default: from the mode)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.deadline:
        plan = Plan(**{**asdict(plan), "deadline": args.deadline})
    label = args.label or f"{'quick' if args.quick else 'full'}, replicas {args.replicas}"
    # A bench stopped from outside (SIGTERM, e.g. `timeout`) still stops every process it started.
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    with tempfile.TemporaryDirectory(prefix="hitl-faults-") as tmp:
        result = await bench(plan, args.replicas, Path(tmp))
    result = {
        "plan": asdict(plan),
        "replicas": args.replicas,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        **result,
    }
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs[label] = result
    RESULTS.write_text(json.dumps(runs, indent=2, sort_keys=False) + "\n")
    print(json.dumps(result, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
