"""A profile of one gated refund task next to one bare one: what each ran (workflow tasks,
activities, local activities, upserts, server round trips), how long each segment took, and the
CPU each process spent per task over a batch.

Usage: `python -m bench.profile_task [--batch 20]`; results go to
`bench/results/profile_gated_task.json` and are printed. `docs/performance.md` reads them.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from activities.tools.refund import ISSUE_REFUND
from bench.harness import CpuMeter, bench_stack, parked_at, report_header, write_report
from bench.history_profile import profile
from bench.kinds import GATED_AMOUNT, Bare, Floor, Gated, GateOnlyFloor, Kind, seed
from bench.phases import gated_batch
from hitl.clean_exit import run_and_exit

RESULTS = Path(__file__).parent / "results" / "profile_gated_task.json"
WARM_UP = 3
"""Tasks of each kind run first, so that imports and caches are not counted."""


async def one_task(kind: Kind, task_id: str) -> dict[str, Any]:
    """Run one task alone: start, park, decide, complete; profile its history."""
    await seed(kind.pool, [task_id])
    handle = await kind.start(task_id, GATED_AMOUNT)
    await parked_at(handle)
    await kind.decide(handle, await kind.prepare(handle))
    await kind.finished(handle)
    return await profile(handle, ISSUE_REFUND)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=20, help="tasks per kind for CPU per task")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = report_header("profile_gated_task", batch=args.batch)
    stamp = str(int(time.time()))
    with tempfile.TemporaryDirectory(prefix="hitl-profile-") as tmp:
        async with bench_stack(Path(tmp)) as bench:
            kinds: list[Kind] = [
                Gated(bench.client, bench.pool, bench.reviewer_key()),
                Bare(bench.client, bench.pool),
                Floor(bench.client, bench.pool),
                GateOnlyFloor(bench.client, bench.pool),
            ]
            for kind in kinds:
                await gated_batch(kind, f"warm-{stamp}-{kind.name}-", WARM_UP)
            meter = CpuMeter(bench.processes())
            for kind in kinds:
                history = await one_task(kind, f"profile-{stamp}-{kind.name}")
                meter.lap()
                await gated_batch(kind, f"cpu-{stamp}-{kind.name}-", args.batch)
                cpu = meter.lap()
                report[kind.name] = {
                    "history": history,
                    "cpu_ms_per_task": {p: round(s * 1000 / args.batch, 1) for p, s in cpu.items()},
                }
    report["load_average_after"] = round(os.getloadavg()[0], 2)
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
