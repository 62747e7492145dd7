"""Cost of the hash-chained audit trail on the embedded PostgreSQL.

Figures:
- audit writes: events/s through the audit activity's code path (`AuditActivities.record_events`,
  batches of 5 events, one transaction each) with 1, 4 and 16 concurrent writers: the chain
  trigger serializes writers on one advisory lock, so this is the ceiling for the whole system;
- verify: rows/s `verify_chain` recomputes (the chain runs through audit events and feedback);
- report: seconds to load and compute `hitl report` over the same rows plus N feedback rows.

Usage: `python -m bench.audit_chain [--events 6000] [--feedback 5000]`; results go to
`bench/results/audit_chain.json` and are printed.
"""

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from activities.store.audit import AuditActivities
from hitl.clean_exit import run_and_exit
from hitl.contracts import AuditEvent, AuditKind, FeedbackRecord, RecordEventsInput
from hitl.contracts.report import FeedbackFilter
from hitl.reporting.kpi import build_report
from store.chain import verify_chain
from store.db import create_pool
from store.report_data import load_report_data
from workers.local.postgres import start_migrated

BATCH = 5
RESULTS = Path(__file__).parent / "results" / "audit_chain.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def batches(writer: str, events: int) -> list[RecordEventsInput]:
    out = []
    for start in range(0, events, BATCH):
        out.append(
            RecordEventsInput(
                events=[
                    AuditEvent(
                        event_key=f"{writer}/r/{seq}",
                        task_id=f"{writer}-{seq // 20}",
                        workflow_id=f"{writer}-{seq // 20}",
                        seq=seq,
                        kind=AuditKind.PROPOSED,
                        actor="agent",
                        occurred_at=T0 + timedelta(seconds=seq),
                        data={"step": seq % 20, "tool": "issue_refund", "args": {"amount": seq % 300}},
                    )
                    for seq in range(start + 1, min(start + BATCH, events) + 1)
                ]
            )
        )
    return out


def feedback_rows(n: int) -> list[RecordEventsInput]:
    rows = [
        FeedbackRecord(
            feedback_key=f"fb-{i}",
            task_id=f"fb-{i}",
            task_kind="refund",
            request_id="approval-1",
            step=1,
            action_type="issue_refund",
            outcome="approve" if i % 10 else "modify",
            proposed_args={"amount": 100 + i % 200},
            confidence=(i % 100) / 100,
            reviewers=["alice"],
            opened_at=T0 + timedelta(hours=i),
            decided_at=T0 + timedelta(hours=i, seconds=30 + i % 3600),
        )
        for i in range(n)
    ]
    return [RecordEventsInput(feedback=rows[i : i + 100]) for i in range(0, n, 100)]


async def run(events: int, feedback: int) -> dict[str, Any]:
    results: dict[str, Any] = {"events": events, "batch": BATCH, "writes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_migrated(Path(tmp) / "pg", delete_on_stop=True)
        pool = await create_pool(server.worker_dsn, max_size=16)
        try:
            audit = AuditActivities(pool)
            for writers in (1, 4, 16):
                work = [batches(f"w{writers}-{w}", events // writers) for w in range(writers)]
                began = time.perf_counter()

                async def write(mine: list[RecordEventsInput]) -> None:
                    for b in mine:
                        await audit.record_events(b)

                await asyncio.gather(*(write(w) for w in work))
                seconds = time.perf_counter() - began
                results["writes"][str(writers)] = round(events / seconds)
            for b in feedback_rows(feedback):
                await audit.record_events(b)
            total = await pool.fetchval("SELECT count(*) FROM audit_events")
            chained = total + await pool.fetchval("SELECT count(*) FROM feedback")
            async with pool.acquire() as conn:
                began = time.perf_counter()
                report = await verify_chain(conn)
                seconds = time.perf_counter() - began
                assert report.broken is None and report.rows == chained
                results["verify_rows_per_s"] = round(chained / seconds)
                began = time.perf_counter()
                build_report(await load_report_data(conn, FeedbackFilter(), datetime.now(UTC)))
                results["report_seconds"] = round(time.perf_counter() - began, 2)
                results["report_feedback_rows"] = feedback
                results["report_audit_rows"] = total
        finally:
            await pool.close()
            server.stop()
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--feedback", type=int, default=5000)
    args = parser.parse_args()
    results = await run(args.events, args.feedback)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    run_and_exit(main())
