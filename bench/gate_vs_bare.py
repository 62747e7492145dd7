"""The gated refund agent next to the same agent on bare Temporal, on one dev server, in one run.

Gated: `AgentTaskWorkflow` on the agent worker (policy, write-ahead audit, notices, search
attributes, the human gate). Bare: `BareAgentWorkflow` on its own worker with the same options,
running the same agent and tools and waiting for a plain signal before the refund
(`bench/bare_workflow.py`). Each repeat runs every phase of `bench/phases.py` for both kinds,
in alternating order; the report gives the median of the repeats and their spread, the ratio
gated/bare of each figure (median and spread of the per-repeat ratios) and the CPU seconds each
process used in each phase, so a starved side shows. With `--floor` two more kinds run in the same
repeats: `FloorAgentWorkflow` (`bench/floor_workflow.py`), the bare loop plus the commands of the
gate's features with no work behind them, reported as `ratio_floor_over_bare` (the most a gate
of this shape can reach against bare on this server), and `GateOnlyFloorWorkflow`, the same
without the policy and facts reads (`ratio_floor_gate_only_over_bare`).

Usage: `python -m bench.gate_vs_bare [--n 100] [--k 20] [--repeats 3] [--floor]`; results go to
`bench/results/gate_vs_bare.json` and are printed.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import BenchStack, CpuMeter, bench_stack, report_header, spread, write_report
from bench.kinds import Bare, Floor, Gated, GateOnlyFloor, Kind
from bench.phases import gated_batch, measure
from hitl.clean_exit import run_and_exit
from workers.local.dev_server import SQLITE_PRAGMAS

RESULTS = Path(__file__).parent / "results" / "gate_vs_bare.json"
RATIOS = {
    "tasks_per_second": "tasks_per_second",
    "starts_per_second": "starts_per_second",
    "decisions_per_second": "decisions_per_second",
    "latency_loaded_p50": "latency_loaded_p50_ms",
    "latency_loaded_p99": "latency_loaded_p99_ms",
    "latency_unloaded_p50": "latency_unloaded_p50_ms",
    "latency_unloaded_p99": "latency_unloaded_p99_ms",
    "auto_tasks_per_second": "auto_tasks_per_second",
    "auto_latency_p50": "auto_latency_p50_ms",
}
"""Ratio name (as in `ratio_gated_over_bare`) -> the figure it divides."""
WARM_UP = 3
"""Tasks of each kind run before measuring, so that imports and caches are not counted."""


def _ratios(runs: list[dict[str, Any]], over: str) -> dict[str, list[float]]:
    """Per repeat, kind `over`'s figures divided by bare's."""
    return {name: [r[over][key] / r["bare"][key] for r in runs] for name, key in RATIOS.items()}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians, spreads and ratios over the repeats."""
    kinds = tuple(runs[0]["order"])
    medians = {
        kind: {key: round(statistics.median(r[kind][key] for r in runs), 2) for key in runs[0][kind]}
        for kind in kinds
    }
    per_run = _ratios(runs, "gated")
    floors = {kind: _ratios(runs, kind) for kind in kinds if kind.startswith("floor")}
    cpu = {
        kind: {
            phase: {
                proc: round(statistics.median(r["cpu"][kind][phase][proc] for r in runs), 2)
                for proc in runs[0]["cpu"][kind][phase]
            }
            for phase in runs[0]["cpu"][kind]
        }
        for kind in kinds
    }
    return {
        **medians,
        "ratio_gated_over_bare": {name: round(statistics.median(v), 3) for name, v in per_run.items()},
        "ratio_spread": {name: spread(v) for name, v in per_run.items()},
        **{
            f"ratio_{kind}_over_bare": {name: round(statistics.median(v), 3) for name, v in ratios.items()}
            for kind, ratios in floors.items()
        },
        **{
            f"ratio_{kind}_spread": {name: spread(v) for name, v in ratios.items()}
            for kind, ratios in floors.items()
        },
        "spread": {
            kind: {key: spread([r[kind][key] for r in runs]) for key in runs[0][kind]} for kind in kinds
        },
        "cpu_seconds_median": cpu,
    }


def _kinds(bench: BenchStack, floor: bool) -> list[Kind]:
    kinds: list[Kind] = [
        Bare(bench.client, bench.pool),
        Gated(bench.client, bench.pool, bench.reviewer_key()),
    ]
    if floor:
        kinds += [Floor(bench.client, bench.pool), GateOnlyFloor(bench.client, bench.pool)]
    return kinds


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="workflows per batch (parked and decided at once)")
    parser.add_argument("--k", type=int, default=20, help="workflows decided one at a time")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every phase for both kinds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON report goes")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run the floors (bench/floor_workflow.py): bare plus the commands of the gate's features",
    )
    args = parser.parse_args()

    header = report_header(
        "gate_vs_bare",
        server=f"temporal server start-dev, SQLite file, {' '.join(SQLITE_PRAGMAS)}",
        n=args.n,
        k=args.k,
        repeats=args.repeats,
        floor=args.floor,
    )
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hitl-bench-") as tmp:
        async with bench_stack(Path(tmp)) as bench:
            stamp = str(int(time.time()))
            for kind in _kinds(bench, args.floor):
                await gated_batch(kind, f"{kind.name}-{stamp}-warm-", WARM_UP)  # imports, caches
            meter = CpuMeter(bench.processes())
            for repeat in range(args.repeats):
                kinds = _kinds(bench, args.floor)
                if repeat % 2:
                    kinds.reverse()  # alternate, so a slowly filling database weighs on both alike
                run: dict[str, Any] = {"repeat": repeat + 1, "order": [k.name for k in kinds], "cpu": {}}
                for kind in kinds:
                    prefix = f"{kind.name}-{stamp}-{repeat}-"
                    run[kind.name], run["cpu"][kind.name] = await measure(kind, prefix, args.n, args.k, meter)
                runs.append(run)

    report = {
        **header,
        "load_average_after": round(os.getloadavg()[0], 2),
        **summarize(runs),
        "runs": runs,
    }
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
