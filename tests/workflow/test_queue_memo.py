"""What a gated task writes to visibility (issue 15): its open requests in its memo, so the
inbox reads the queue with visibility list calls alone, and search attributes only when they
change."""

from typing import Any

from temporalio.api.enums.v1 import EventType

from hitl.contracts import TaskStatus
from hitl.contracts.inbox import QUEUE_MEMO, QueueItem
from tests.codec_keys import TEST_CONVERTER
from tests.workflow.conftest import Handle, Harness


async def queue(handle: Handle) -> Any:
    """The queue memo as last upserted (read from history: the time-skipping server's describe
    cannot decode an unset datetime search attribute)."""
    upserts = [
        e.workflow_properties_modified_event_attributes.upserted_memo.fields[QUEUE_MEMO]
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED
    ]
    (value,) = await TEST_CONVERTER.decode([upserts[-1]])
    return value


async def test_the_memo_lists_the_open_request_until_it_is_decided(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    pending = await harness.wait_pending(handle)
    listed = [QueueItem.model_validate(item) for item in await queue(handle)]
    assert listed == [QueueItem.of(pending.requests[0])]
    assert (listed[0].request_id, listed[0].tool, listed[0].confidence) == (
        "approval-1",
        "issue_refund",
        0.95,
    )

    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    assert await queue(handle) == []


async def test_search_attributes_are_upserted_only_when_they_change(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED

    seen: dict[str, bytes] = {}
    upserts = 0
    for event in (await handle.fetch_history()).events:
        if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            continue
        upserts += 1
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        unchanged = {name for name, value in fields.items() if seen.get(name, b"") == value.data}
        assert unchanged == set(), f"upsert {upserts} repeats {sorted(unchanged)}"
        seen.update({name: value.data for name, value in fields.items()})
    assert upserts >= 3  # running, waiting, completed at least
