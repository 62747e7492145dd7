"""Read the review queue from Temporal with visibility list calls, a page at a time.

The visibility query finds the waiting tasks; each task's memo lists its open requests with
their confidence and quorum (`QueueItem`), so the queue can be ordered by risk times
uncertainty without asking any worker: a page is one list call, however many tasks wait and
whether or not their worker holds them in its cache. Tasks from before the memo are asked with
the `pending` query. `read_page` reads one page; `read_all` pages through all of it.
`read_requests` gives front ends that decide (the web inbox) each open request in full, from
the `pending` query.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import Client, WorkflowExecution, WorkflowQueryFailedError
from temporalio.service import RPCError

from hitl import search_attributes as sa
from hitl.contracts import PendingResult, ReviewRequest
from hitl.contracts.inbox import QUEUE_MEMO, InboxEntry, InboxFilter, QueueItem
from hitl.names import PENDING_QUERY
from hitl.review.queue import build_query, matches, order, priority

QUERY_TIMEOUT = timedelta(seconds=5)
"""A task whose worker does not answer within this is listed from its search attributes alone."""
PARALLEL_QUERIES = 32
"""Queries in flight at once: a page of 100 in a few round trips, still gentle on the server."""


@dataclass(frozen=True)
class QueuedRequest:
    """One open request with the workflow run that holds it (for a front end that decides it)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    request: ReviewRequest


@dataclass
class InboxPage:
    """One page of the queue, in review order, and the token of the next (None after the last)."""

    entries: list[InboxEntry]
    next_page_token: bytes | None


async def read_page(
    client: Client,
    filters: InboxFilter,
    now: datetime,
    by: str = "deadline",
    page_token: bytes | None = None,
) -> InboxPage:
    """Return one page of at most `filters.limit` waiting tasks' open requests that match
    `filters`, in review order. Pages follow the visibility store's order; `page_token` (from
    the previous page) continues where it ended.

    Raises:
        hitl.review.queue.QueryValueError: A filter value cannot be used in a query.
        temporalio.service.RPCError: Temporal cannot be reached or refused the query.
    """
    listing = client.list_workflows(
        build_query(filters, now), page_size=filters.limit, next_page_token=page_token
    )
    await listing.fetch_next_page()
    gate = asyncio.Semaphore(PARALLEL_QUERIES)
    per_task = await asyncio.gather(*(_entries(client, e, now, gate) for e in listing.current_page or []))
    entries = [entry for entries in per_task for entry in entries if matches(entry, filters)]
    return InboxPage(order(entries, by), listing.next_page_token)


async def read_inbox(
    client: Client, filters: InboxFilter, now: datetime, by: str = "deadline"
) -> list[InboxEntry]:
    """The first page of the queue (`read_page`)."""
    return (await read_page(client, filters, now, by)).entries


async def read_all(
    client: Client, filters: InboxFilter, now: datetime, by: str = "deadline"
) -> list[InboxEntry]:
    """Every page of the queue, in one review order."""
    entries: list[InboxEntry] = []
    token: bytes | None = None
    while True:
        page = await read_page(client, filters, now, by, token)
        entries += page.entries
        token = page.next_page_token
        if token is None:
            return order(entries, by)


async def read_requests(client: Client, filters: InboxFilter, now: datetime) -> list[QueuedRequest]:
    """The open requests of the tasks `filters` select, with their runs; tasks whose worker does
    not answer are left out (nothing could be decided on them).

    Raises:
        hitl.review.queue.QueryValueError: A filter value cannot be used in a query.
        temporalio.service.RPCError: Temporal cannot be reached or refused the query.
    """
    executions = [e async for e in client.list_workflows(build_query(filters, now), limit=filters.limit)]
    gate = asyncio.Semaphore(PARALLEL_QUERIES)
    answers = await asyncio.gather(*(_pending(client, e, gate) for e in executions))
    return [
        QueuedRequest(e.id, e.run_id, e.workflow_type, r)
        for e, pending in zip(executions, answers, strict=True)
        if pending is not None
        for r in pending.requests
    ]


async def _pending(
    client: Client, execution: WorkflowExecution, gate: asyncio.Semaphore
) -> PendingResult | None:
    """The task's `pending` answer (None: its worker did not answer)."""
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    try:
        async with gate:
            pending: PendingResult = await handle.query(
                PENDING_QUERY, result_type=PendingResult, rpc_timeout=QUERY_TIMEOUT
            )
    except (RPCError, WorkflowQueryFailedError):
        return None
    return pending


async def _entries(
    client: Client, execution: WorkflowExecution, now: datetime, gate: asyncio.Semaphore
) -> list[InboxEntry]:
    """The task's open requests: from its memo, or (runs from before the memo) its `pending`
    query, or its search attributes alone when its worker does not answer."""
    memo = await execution.memo()
    if QUEUE_MEMO in memo:
        items = [QueueItem.model_validate(item) for item in memo[QUEUE_MEMO]]
        return [_entry(execution.id, item, now) for item in items]
    pending = await _pending(client, execution, gate)
    if pending is None:
        return [_from_attributes(execution, now)]
    return [entry_of(execution.id, r, now) for r in pending.requests]


def entry_of(workflow_id: str, request: ReviewRequest, now: datetime) -> InboxEntry:
    """The queue line of one open request."""
    return _entry(workflow_id, QueueItem.of(request), now)


def _entry(workflow_id: str, item: QueueItem, now: datetime) -> InboxEntry:
    return InboxEntry(
        workflow_id=workflow_id,
        **item.model_dump(),
        priority=priority(item.risk_tier, item.confidence, item.quorum),
        overdue=item.deadline is not None and item.deadline < now,
    )


def _from_attributes(execution: WorkflowExecution, now: datetime) -> InboxEntry:
    found = execution.typed_search_attributes
    risk = found.get(sa.HITL_RISK_TIER) or ""
    deadline = found.get(sa.HITL_DEADLINE)
    return InboxEntry(
        workflow_id=execution.id,
        request_id="?",
        kind="?",
        summary="(the task's worker did not answer; details unavailable)",
        tool=found.get(sa.HITL_ACTION_TYPE) or "",
        risk_tier=risk,
        tier=found.get(sa.HITL_TIER) or 0,
        assignees=list(found.get(sa.HITL_ASSIGNEES) or []),
        amount=found.get(sa.HITL_AMOUNT),
        deadline=deadline,
        confidence=None,
        priority=priority(risk, None),
        overdue=deadline is not None and deadline < now,
    )
