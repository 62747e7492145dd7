"""What a gated task writes to visibility (issue 15): its open requests in its memo, so the
inbox reads the queue with visibility list calls alone, and search attributes only when they
change."""

from decimal import Decimal
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl import search_attributes as sa
from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus
from hitl.contracts.inbox import QUEUE_MEMO, QueueItem
from hitl.names import AGENT_TASK_WORKFLOW
from tests.codec_keys import TEST_CONVERTER
from tests.support import unique
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


def first_task_upserts(events: Any) -> list[set[str]]:
    """The search attribute names each upsert of the first workflow task set."""
    found: list[set[str]] = []
    completed = 0
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            completed += 1
        elif completed == 2:
            break
        elif completed == 1 and event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            attrs = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            found.append(set(attrs.indexed_fields))
    return found


async def test_a_task_is_listed_running_from_its_start_without_an_upsert(harness: Harness) -> None:
    handle = await harness.refund_task(50)
    assert (await handle.result()).status is TaskStatus.COMPLETED
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.search_attributes
    (status,) = await TEST_CONVERTER.decode([started.indexed_fields["HitlStatus"]])
    assert status == "running"
    assert all("HitlStatus" not in names for names in first_task_upserts(history.events))


async def test_a_start_that_names_another_status_is_corrected_in_the_first_workflow_task(
    harness: Harness,
) -> None:
    order_id = unique("ord")
    await seed_orders(
        harness.pool,
        [DemoOrder(order_id=order_id, customer_email=f"{order_id}@example.com", total=Decimal(500))],
    )
    task = AgentTaskInput(
        task_id=harness.task_id("refund"),
        kind="refund",
        requester="svc-support",
        subject={"order_id": order_id, "amount": 50, "customer_message": "please refund"},
    )
    handle = await harness.client.start_workflow(
        AGENT_TASK_WORKFLOW,
        task,
        id=task.task_id,
        task_queue=harness.task_queue,
        result_type=TaskResult,
        search_attributes=TypedSearchAttributes([SearchAttributePair(sa.HITL_STATUS, "completed")]),
    )
    harness.started.append(handle)
    assert (await handle.result()).status is TaskStatus.COMPLETED
    assert any("HitlStatus" in names for names in first_task_upserts((await handle.fetch_history()).events))
