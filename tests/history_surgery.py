"""Edit a recorded history (its JSON) into one a worker could have produced under other timing.

`split_after` ends a workflow task's commands early and puts the rest in a workflow task of their
own, with no new event between: what history holds when a local activity's result landed in one
workflow task but the workflow's code only ran on in the next (the worker's task heartbeat
completed the task first, as a starved worker does).
"""

import copy
import itertools
from typing import Any

TASK_EVENTS = ("SCHEDULED", "STARTED", "COMPLETED")


def split_after(history: dict[str, Any], event_id: int) -> dict[str, Any]:
    """`history` with an empty workflow task inserted after event `event_id`; the commands after it
    that the same workflow task issued are issued by the new one."""
    events = history["events"]
    at = next(i for i, e in enumerate(events) if int(e["eventId"]) == event_id)
    task = _task_events(events[:at])
    assert int(task["COMPLETED"]["eventId"]) < event_id, "the split falls among a workflow task's commands"
    moved = [copy.deepcopy(e) for e in events[at + 1 :]]
    for event in moved:
        _shift_ids(event, event_id, len(TASK_EVENTS))
    new_ids = {kind: event_id + 1 + n for n, kind in enumerate(TASK_EVENTS)}
    inserted = []
    for kind in TASK_EVENTS:
        event = copy.deepcopy(task[kind])
        event["eventId"] = str(new_ids[kind])
        event["eventTime"] = events[at]["eventTime"]
        attributes = _attributes(event)
        if "scheduledEventId" in attributes:
            attributes["scheduledEventId"] = str(new_ids["SCHEDULED"])
        if "startedEventId" in attributes:
            attributes["startedEventId"] = str(new_ids["STARTED"])
        inserted.append(event)
    for event in moved:
        if event["eventType"].startswith("EVENT_TYPE_WORKFLOW_TASK"):
            break
        attributes = _attributes(event)
        if "workflowTaskCompletedEventId" in attributes:
            attributes["workflowTaskCompletedEventId"] = str(new_ids["COMPLETED"])
    return {**history, "events": [*events[: at + 1], *inserted, *moved]}


def local_results_mid_task(history: dict[str, Any]) -> list[int]:
    """Event ids of local activity results that other commands of their workflow task follow:
    where `split_after` can cut."""
    events = history["events"]
    return [
        int(event["eventId"])
        for event, following in itertools.pairwise(events)
        if event["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
        and event["markerRecordedEventAttributes"]["markerName"] == "core_local_activity"
        and not following["eventType"].startswith("EVENT_TYPE_WORKFLOW_TASK")
    ]


def _task_events(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last workflow task's scheduled, started and completed events before the split."""
    found: dict[str, dict[str, Any]] = {}
    for event in reversed(events):
        for kind in TASK_EVENTS:
            if kind not in found and event["eventType"] == f"EVENT_TYPE_WORKFLOW_TASK_{kind}":
                found[kind] = event
        if len(found) == len(TASK_EVENTS):
            return found
    raise ValueError("no completed workflow task before the split")


def _attributes(event: dict[str, Any]) -> dict[str, Any]:
    return next(v for k, v in event.items() if k.endswith("Attributes"))


def _shift_ids(node: Any, after: int, by: int) -> None:
    """Renumber every event id (and every reference to one) above `after`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (key == "eventId" or key.endswith("EventId")) and isinstance(value, str) and value.isdigit():
                if int(value) > after:
                    node[key] = str(int(value) + by)
            else:
                _shift_ids(value, after, by)
    elif isinstance(node, list):
        for item in node:
            _shift_ids(item, after, by)
