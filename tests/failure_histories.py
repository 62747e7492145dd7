"""When a workflow test fails, keep the histories of the workflows it started.

A failure that shows once in a full run (a replay that diverges under load) cannot be studied
from its message alone: the history is what tells the original commands from the replay's. Each
history is written as JSON under `.test-artifacts/<test>/` (or `$HITL_TEST_ARTIFACTS`), ready for
`Replayer.replay_workflow(WorkflowHistory.from_json(...))`, and a line per event is printed, so a
CI log that keeps nothing else still shows the order of events.
"""

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

CALL_FAILED = pytest.StashKey[bool]()
"""Set on a test item when its call phase failed (`tests.conftest.pytest_runtest_makereport`)."""

ARTIFACTS = Path(os.environ.get("HITL_TEST_ARTIFACTS", ".test-artifacts"))


def call_failed(node: pytest.Item) -> bool:
    """Whether the test's own body failed (set by the report hook)."""
    return node.stash.get(CALL_FAILED, False)


def event_line(event: dict[str, Any]) -> str:
    """One event as `id TYPE detail`: the activity, marker, signal or timer it names."""
    kind = str(event.get("eventType", "")).removeprefix("EVENT_TYPE_")
    detail = ""
    for key, value in event.items():
        if not key.endswith("Attributes") or not isinstance(value, dict):
            continue
        if "activityType" in value:
            detail = value["activityType"].get("name", "")
        elif "markerName" in value:
            detail = value["markerName"]
        elif "signalName" in value:
            detail = value["signalName"]
        elif "upsertedMemo" in value:
            detail = "memo"
        elif "timerId" in value:
            detail = f"timer {value['timerId']}"
    return f"{event.get('eventId', '?')} {kind} {detail}".rstrip()


async def keep_histories(node: pytest.Item, handles: Iterable[WorkflowHandle[Any, Any]]) -> None:
    """Write and print the histories of `handles` when `node`'s test failed; nothing otherwise."""
    if call_failed(node):
        await write_histories(node, handles)


async def write_histories(node: pytest.Item, handles: Iterable[WorkflowHandle[Any, Any]]) -> None:
    """Write and print the histories of `handles` for `node`'s test (a test that catches its own
    failure, before its cleanup ends the workflows, calls this directly)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    for handle in handles:
        with contextlib.suppress(RPCError):
            history = await handle.fetch_history()
            path = folder / f"{handle.id}.json"
            path.write_text(history.to_json())
            print(f"history of {handle.id} kept in {path}:")
            for event in history.events:
                print("  " + event_line(MessageToDict(event)))
