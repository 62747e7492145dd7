"""Read the review queue from Temporal: a visibility query, then each task's `pending` query.

The visibility query finds the waiting tasks (the search attributes show each task's leading
request); the `pending` query adds every open request with its confidence, so the queue can
be ordered by risk times uncertainty.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import Client, WorkflowExecution, WorkflowQueryFailedError
from temporalio.service import RPCError

from hitl import search_attributes as sa
from hitl.contracts import PendingResult, ReviewRequest
from hitl.contracts.inbox import InboxEntry, InboxFilter
from hitl.names import PENDING_QUERY
from hitl.review.queue import build_query, matches, order, priority

QUERY_TIMEOUT = timedelta(seconds=5)
"""A task whose worker does not answer within this is listed from its search attributes alone."""
PARALLEL_QUERIES = 8
"""Queries in flight at once: enough to read a page of the queue quickly, gentle on the server."""


@dataclass(frozen=True)
class QueuedRequest:
    """One open request with the workflow run that holds it (for a front end that decides it)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    request: ReviewRequest


async def read_inbox(
    client: Client, filters: InboxFilter, now: datetime, by: str = "deadline"
) -> list[InboxEntry]:
    """Return the open requests that match `filters`, in review order.

    Raises:
        hitl.review.queue.QueryValueError: A filter value cannot be used in a query.
        temporalio.service.RPCError: Temporal cannot be reached or refused the query.
    """
    entries = [
        [entry_of(e.id, r, now) for r in pending.requests] if pending else [_from_attributes(e, now)]
        for e, pending in await _open_tasks(client, filters, now)
    ]
    return order([entry for found in entries for entry in found if matches(entry, filters)], by)


async def read_requests(client: Client, filters: InboxFilter, now: datetime) -> list[QueuedRequest]:
    """The open requests of the tasks `filters` select, with their runs; tasks whose worker does
    not answer are left out (nothing could be decided on them).

    Raises:
        hitl.review.queue.QueryValueError: A filter value cannot be used in a query.
        temporalio.service.RPCError: Temporal cannot be reached or refused the query.
    """
    return [
        QueuedRequest(e.id, e.run_id, e.workflow_type, r)
        for e, pending in await _open_tasks(client, filters, now)
        if pending is not None
        for r in pending.requests
    ]


async def _open_tasks(
    client: Client, filters: InboxFilter, now: datetime
) -> list[tuple[WorkflowExecution, PendingResult | None]]:
    """The tasks `filters` select, each with its `pending` answer (None: its worker did not answer)."""
    query = build_query(filters, now)
    executions = [e async for e in client.list_workflows(query, limit=filters.limit)]
    gate = asyncio.Semaphore(PARALLEL_QUERIES)

    async def one(execution: WorkflowExecution) -> PendingResult | None:
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        try:
            async with gate:
                pending: PendingResult = await handle.query(
                    PENDING_QUERY, result_type=PendingResult, rpc_timeout=QUERY_TIMEOUT
                )
        except (RPCError, WorkflowQueryFailedError):
            return None
        return pending

    return list(zip(executions, await asyncio.gather(*(one(e) for e in executions)), strict=True))


def entry_of(workflow_id: str, request: ReviewRequest, now: datetime) -> InboxEntry:
    """The queue line of one open request."""
    risk = request.verdict.risk_tier.value
    return InboxEntry(
        workflow_id=workflow_id,
        request_id=request.request_id,
        kind=request.kind.value,
        summary=request.action.summary or request.action.tool,
        tool=request.action.tool,
        risk_tier=risk,
        tier=request.tier,
        assignees=request.assignees,
        amount=request.verdict.required_limit,
        deadline=request.deadline,
        confidence=request.action.confidence,
        priority=priority(risk, request.action.confidence, request.verdict.quorum),
        overdue=request.deadline is not None and request.deadline < now,
        ui_url=request.ui_url,
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
