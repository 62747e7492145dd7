"""The `workflow.patched()` markers a history holds, each with the workflow task that recorded it."""

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory


def patch_markers(history: WorkflowHistory) -> list[tuple[str, int]]:
    """(patch id, number of the workflow task whose commands hold it, from 1) in history order."""
    found: list[tuple[str, int]] = []
    tasks = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks += 1
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                found.append((json.loads(marker.details["patch-data"].payloads[0].data)["id"], tasks))
    return found
