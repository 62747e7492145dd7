"""What `bench.faults` measures after the faults, from the outside: the tasks' Temporal histories
and the rows in PostgreSQL.

- Recovery: a task is *in flight* at a fault when, at that moment, it had a workflow task or an
  activity on the agent queue scheduled and not finished (a task waiting for a human, a timer or
  only a notice is not). Its recovery is the time from the fault's start to the next event of
  progress in its history (a workflow task or an activity completed, or the task closed) once the
  broken part is back; also given counted from that moment.
- Side effects: every task refunds and emails on its own order, so a second refund or email row
  on an order is a duplicate, whatever its idempotency key.
- Audit: per task, positions `seq` must run without gaps, the start and (once closed) the end must
  be there, and no event of a kind that happens once per step, request or notice may repeat.
"""

import asyncio
import statistics
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from bench.fault_stack import Fault

E = EventType
PROGRESS = {
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}
ACTIVITY_ENDS = {
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed_event_attributes",
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled_event_attributes",
}
WFT_ENDS = {
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "workflow_task_completed_event_attributes",
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED: "workflow_task_failed_event_attributes",
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "workflow_task_timed_out_event_attributes",
}
CLOSED = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "canceled",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new",
}


def _at(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


@dataclass
class History:
    """One task's history, reduced to what the checks need."""

    task_id: str
    events: list[HistoryEvent] = field(default_factory=list)
    found: bool = True

    @property
    def closed(self) -> str | None:
        """How the task closed, or None while it runs."""
        return CLOSED.get(self.events[-1].event_type) if self.events else None

    @property
    def workflow_task_failures(self) -> int:
        return sum(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in self.events)

    def in_flight(self, at: float, notify_prefix: str) -> bool:
        """Whether a workflow task or a non-notification activity was open at `at`."""
        return bool(self.open_at(at, notify_prefix))

    def open_at(self, at: float, notify_prefix: str) -> list[str]:
        """The workflow task and non-notification activities (by type) open at `at`."""
        open_ids: dict[int, str] = {}
        for event in self.events:
            if _at(event) > at:
                break
            kind = event.event_type
            if kind in CLOSED:
                return []
            if kind == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                open_ids[event.event_id] = "workflow task"
            elif kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = event.activity_task_scheduled_event_attributes
                if not attrs.task_queue.name.startswith(notify_prefix):
                    open_ids[event.event_id] = attrs.activity_type.name
            elif kind in ACTIVITY_ENDS or kind in WFT_ENDS:
                ended = getattr(event, ACTIVITY_ENDS.get(kind) or WFT_ENDS[kind])
                open_ids.pop(ended.scheduled_event_id, None)
        return sorted(open_ids.values()) if self.events and _at(self.events[0]) <= at else []

    def next_progress(self, after: float) -> float | None:
        """When the first event of progress after `after` was written."""
        return next((_at(e) for e in self.events if _at(e) > after and e.event_type in PROGRESS), None)


async def fetch_histories(client: Client, task_ids: list[str], concurrency: int = 8) -> list[History]:
    """Every task's latest run's history (`found` False for a task the server does not know)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(task_id: str) -> History:
        async with semaphore:
            try:
                history = await client.get_workflow_handle(task_id).fetch_history()
            except RPCError as err:
                if err.status is RPCStatusCode.NOT_FOUND:
                    return History(task_id, found=False)
                raise
            return History(task_id, list(history.events))

    return list(await asyncio.gather(*(one(t) for t in task_ids)))


def recovery(histories: list[History], fault: Fault, notify_prefix: str) -> dict[str, Any]:
    """Median and maximum seconds from the fault's start to the next progress of the tasks that
    were in flight when it began; also counted from when the broken part was back."""
    waits: list[float] = []
    never = 0
    slowest: tuple[float, str, list[str]] = (0.0, "", [])
    for history in histories:
        waiting_on = history.open_at(fault.began, notify_prefix)
        if not waiting_on:
            continue
        next_at = history.next_progress(fault.ended)
        if next_at is None:
            never += 1
            continue
        waits.append(next_at - fault.began)
        slowest = max(slowest, (waits[-1], history.task_id, waiting_on))
    back = [max(0.0, w - (fault.ended - fault.began)) for w in waits]
    return {
        "fault": fault.name,
        "fault_seconds": round(fault.ended - fault.began, 1),
        "in_flight": len(waits) + never,
        "never_progressed": never,
        "median_seconds": _r(statistics.median(waits)) if waits else None,
        "max_seconds": _r(max(waits)) if waits else None,
        "median_seconds_after_back": _r(statistics.median(back)) if back else None,
        "max_seconds_after_back": _r(max(back)) if back else None,
        "slowest": {"task": slowest[1], "open_at_fault": slowest[2]},
    }


def _r(x: float) -> float:
    return round(x, 1)


ONCE_KINDS = ("task_started", "task_finished", "executed", "decision_accepted", "notified")


async def audit_findings(pool: asyncpg.Pool, histories: list[History]) -> dict[str, Any]:
    """Audit events missing (gaps, no start, no end of a closed task) and duplicated."""
    rows = await pool.fetch(
        "SELECT workflow_id, seq, kind, actor, data->>'step' AS step, data->>'request_id' AS request,"
        " data->>'notice_key' AS notice FROM audit_events WHERE workflow_id = ANY($1)",
        [h.task_id for h in histories],
    )
    by_task: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by_task.setdefault(row["workflow_id"], []).append(row)
    missing = duplicated = conflicts = 0
    for history in histories:
        events = by_task.get(history.task_id, [])
        seqs = {r["seq"] for r in events}
        missing += (max(seqs) - min(seqs) + 1 - len(seqs)) if seqs else 0
        kinds = [r["kind"] for r in events]
        missing += "task_started" not in kinds
        missing += history.closed is not None and "task_finished" not in kinds
        once = [
            (r["kind"], r["step"], r["request"], r["notice"], r["actor"])
            for r in events
            if r["kind"] in ONCE_KINDS
        ]
        duplicated += len(once) - len(set(once))
        conflicts += kinds.count("key_conflict")
    examples = await pool.fetch(
        "SELECT workflow_id, left(data::text, 1500) AS data FROM audit_events"
        " WHERE workflow_id = ANY($1) AND kind = 'key_conflict' ORDER BY chain_pos LIMIT 3",
        [h.task_id for h in histories],
    )
    return {
        "audit_events_missing": missing,
        "audit_events_duplicated": duplicated,
        "audit_key_conflicts": conflicts,
        "audit_key_conflict_examples": [dict(r) for r in examples],
    }


async def side_effects(pool: asyncpg.Pool, task_ids: list[str]) -> dict[str, int]:
    """Refund and email rows beyond one per task's order."""
    orders = [f"o-{t}" for t in task_ids]
    found: dict[str, int] = {}
    for table in ("refunds", "emails"):
        extra = await pool.fetchval(
            f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM shop.{table}"
            " WHERE order_id = ANY($1) GROUP BY order_id) per_order",
            orders,
        )
        found[f"{table}_duplicated"] = int(extra)
    return found
