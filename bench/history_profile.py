"""Where one workflow's time went, read from its history: workflow tasks, activities (by type
and task queue, with their queue and run times), local activities, timers, search attribute
upserts, and the segments from start to parked and from decision to the action.
"""

import json
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from bench.harness import parks

LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _at(event: HistoryEvent) -> float:
    return event.event_time.ToMicroseconds() / 1e6


def _name(event_type: "EventType.ValueType") -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_").lower()


def _local_activity_type(event: HistoryEvent) -> str:
    data = event.marker_recorded_event_attributes.details.get("data")
    if data is None or not data.payloads:
        return "?"
    return str(json.loads(data.payloads[0].data).get("activity_type", "?"))


class HistoryProfile:
    """Counts and timings of one workflow history."""

    def __init__(self, events: list[HistoryEvent], action_activity: str) -> None:
        self.events = events
        self.action_activity = action_activity
        self.start = _at(events[0])

    def summary(self) -> dict[str, Any]:
        """Everything the profile reports, as JSON-ready values."""
        by_id = {e.event_id: e for e in self.events}
        activities: Counter[str] = Counter()
        queued: dict[str, list[float]] = {}
        ran: dict[str, list[float]] = {}
        local: Counter[str] = Counter()
        for e in self.events:
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = e.activity_task_scheduled_event_attributes
                activities[f"{attrs.activity_type.name} ({attrs.task_queue.name})"] += 1
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                scheduled = by_id[e.activity_task_started_event_attributes.scheduled_event_id]
                name = scheduled.activity_task_scheduled_event_attributes.activity_type.name
                queued.setdefault(name, []).append((_at(e) - _at(scheduled)) * 1000)
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                done = e.activity_task_completed_event_attributes
                started = by_id[done.started_event_id]
                scheduled = by_id[done.scheduled_event_id]
                name = scheduled.activity_task_scheduled_event_attributes.activity_type.name
                ran.setdefault(name, []).append((_at(e) - _at(started)) * 1000)
            elif (
                e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
            ):
                local[_local_activity_type(e)] += 1
        counts = Counter(_name(e.event_type) for e in self.events)
        return {
            "history_events": len(self.events),
            "workflow_tasks": counts["workflow_task_completed"],
            "activity_tasks": sum(activities.values()),
            "activities": dict(sorted(activities.items())),
            "local_activities": dict(sorted(local.items())),
            "timers": counts["timer_started"],
            "search_attribute_upserts": counts["upsert_workflow_search_attributes"],
            "server_round_trips": counts["workflow_task_completed"] + sum(activities.values()),
            "activity_queue_ms_mean": {k: round(sum(v) / len(v), 1) for k, v in sorted(queued.items())},
            "activity_run_ms_mean": {k: round(sum(v) / len(v), 1) for k, v in sorted(ran.items())},
            "events_by_type": dict(sorted(counts.items())),
            "segments_ms": self.segments(),
        }

    def segments(self) -> dict[str, float]:
        """Start to parked, decision (signal received) to the action's activity, start to close."""
        parked = next((e for e in self.events if parks(e)), None)
        signal = next(
            (e for e in self.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), None
        )
        action = next(
            (
                e
                for e in self.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                and e.activity_task_scheduled_event_attributes.activity_type.name == self.action_activity
            ),
            None,
        )
        out = {"start_to_close": (_at(self.events[-1]) - self.start) * 1000}
        if parked is not None:
            out["start_to_parked"] = (_at(parked) - self.start) * 1000
        if signal is not None and action is not None:
            out["decision_to_action_scheduled"] = (_at(action) - _at(signal)) * 1000
            after = [e for e in self.events if e.event_id > action.event_id]
            started = next(e for e in after if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
            out["decision_to_action_started"] = (_at(started) - _at(signal)) * 1000
            wfts = [
                e
                for e in self.events
                if signal.event_id < e.event_id < action.event_id
                and e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            ]
            out["workflow_tasks_decision_to_action"] = len(wfts)
        return {k: round(v, 1) for k, v in out.items()}


async def profile(handle: WorkflowHandle[Any, Any], action_activity: str) -> dict[str, Any]:
    """Profile a closed workflow from its history."""
    events = [e async for e in handle.fetch_history_events()]
    return HistoryProfile(events, action_activity).summary()
