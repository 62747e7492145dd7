"""Keep the Temporal UI and CLI true: search attributes and current details at every change.

The search attributes make `temporal workflow list --query 'HitlStatus="waiting"'` a review
queue; the current details show the context cards in the UI and in `temporal workflow metadata`;
the memo lists the open requests (`QueueItem`), so `hitl inbox` reads a page of the queue with
one visibility call instead of a query to every task's worker.
"""

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from hitl import search_attributes as sa
    from hitl.contracts.inbox import QUEUE_MEMO, QueueItem
    from hitl.contracts.review import ReviewRequest

from workflows import patches


def publish(open_requests: list[ReviewRequest], status: str, idle_note: str) -> None:
    """Upsert the HITL search attributes, current details and queue memo for the open requests.

    With several requests open, the one with the earliest deadline leads (tier, deadline,
    action type); assignees are the union, the amount the largest.
    """
    current = patches.on(patches.LOCAL_WRITES_AND_QUEUE_MEMO)
    if current:
        _publish_queue(open_requests)
    if not open_requests:
        _upsert(
            [
                sa.HITL_STATUS.value_set(status),
                sa.HITL_ASSIGNEES.value_unset(),
                sa.HITL_DEADLINE.value_unset(),
                sa.HITL_TIER.value_unset(),
            ],
            only_changes=current,
        )
        workflow.set_current_details(idle_note)
        return
    lead = min(open_requests, key=_deadline_order)
    assignees = sorted({group for r in open_requests for group in r.assignees})
    amounts = [r.verdict.required_limit for r in open_requests if r.verdict.required_limit is not None]
    updates: list[SearchAttributeUpdate[Any]] = [
        sa.HITL_STATUS.value_set(status),
        sa.HITL_ASSIGNEES.value_set(assignees),
        sa.HITL_RISK_TIER.value_set(lead.verdict.risk_tier.value),
        sa.HITL_ACTION_TYPE.value_set(lead.action.tool),
        sa.HITL_TIER.value_set(lead.tier),
        sa.HITL_AMOUNT.value_set(max(amounts)) if amounts else sa.HITL_AMOUNT.value_unset(),
        sa.HITL_DEADLINE.value_set(lead.deadline)
        if lead.deadline is not None
        else sa.HITL_DEADLINE.value_unset(),
    ]
    _upsert(updates, only_changes=current)
    workflow.set_current_details("\n\n---\n\n".join(r.card for r in open_requests))


def _publish_queue(open_requests: list[ReviewRequest]) -> None:
    """Upsert the queue memo when it changed (no memo yet reads as an empty queue)."""
    queue = [QueueItem.of(r).model_dump(mode="json") for r in open_requests]
    if queue != workflow.memo_value(QUEUE_MEMO, default=[]):
        workflow.upsert_memo({QUEUE_MEMO: queue})


def _upsert(updates: list[SearchAttributeUpdate[Any]], *, only_changes: bool) -> None:
    """Upsert the search attributes; with `only_changes`, those whose value differs from the
    workflow's current one, and nothing at all when none does (each upsert is a history event
    and a visibility write)."""
    if only_changes:
        present = workflow.info().typed_search_attributes
        updates = [u for u in updates if present.get(u.key) != u.value]
    if updates:
        workflow.upsert_search_attributes(updates)


def _deadline_order(request: ReviewRequest) -> tuple[int, str]:
    if request.deadline is None:
        return (1, request.request_id)
    return (0, request.deadline.isoformat())
