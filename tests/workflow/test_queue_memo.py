"""A waiting task lists its open requests in its memo, so the inbox reads the queue with
visibility list calls alone (issue 15)."""

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter

from hitl.contracts import TaskStatus
from hitl.contracts.inbox import QUEUE_MEMO, QueueItem
from tests.workflow.conftest import Handle, Harness


async def queue(handle: Handle) -> Any:
    """The queue memo as last upserted (read from history: the time-skipping server's describe
    cannot decode an unset datetime search attribute)."""
    upserts = [
        e.workflow_properties_modified_event_attributes.upserted_memo.fields[QUEUE_MEMO]
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED
    ]
    return pydantic_data_converter.payload_converter.from_payload(upserts[-1])


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
