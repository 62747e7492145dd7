"""The queue and the card: what a reviewer reads before deciding.

The queue takes the filters of `hitl inbox` as query parameters (`group`, `tier`, `risk`,
`action`, `overdue`, `sort`); `/queue/rows` returns just its rows, which the page fetches every
few seconds so that it follows tasks arriving and leaving.
"""

import uuid
from datetime import UTC, datetime

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from hitl.contracts.inbox import InboxFilter
from hitl.inbox.cards import card_of, reason_codes
from hitl.inbox.context import Inbox
from hitl.inbox.reading import Item, NotFound, read_item, read_queue
from hitl.inbox.session import require_reviewer
from hitl.review.queue import QueryValueError

REFRESH_SECONDS = 4
"""How often the queue page asks for its rows again."""


def queue_filters(request: Request) -> tuple[InboxFilter, str]:
    """The filters and sort order named in the query string.

    Raises:
        ValueError: A value is not a valid filter.
    """
    params = request.query_params
    tier = params.get("tier", "")
    filters = InboxFilter(
        group=params.get("group") or None,
        tier=int(tier) if tier.strip() else None,
        risk=params.get("risk") or None,
        action=params.get("action") or None,
        overdue=params.get("overdue") in ("1", "on", "true"),
    )
    by = params.get("sort", "deadline")
    return filters, by if by in ("deadline", "priority") else "deadline"


async def reviewer_queue(inbox: Inbox, request: Request, reviewer: str) -> tuple[list[Item], str]:
    """The reviewer's queue for this request's filters, and a problem with them ('' when none)."""
    try:
        filters, by = queue_filters(request)
        items = await read_queue(inbox.client, inbox.directory, reviewer, filters, datetime.now(UTC), by)
    except (ValueError, ValidationError, QueryValueError) as err:
        return [], f"Bad filter: {err}"
    return items, ""


async def queue(inbox: Inbox, request: Request) -> Response:
    """The reviewer's queue page."""
    reviewer = require_reviewer(request)
    items, problem = await reviewer_queue(inbox, request, reviewer)
    return inbox.render(
        request,
        "queue.html",
        400 if problem else 200,
        items=items,
        problem=problem,
        params=dict(request.query_params),
        refresh=REFRESH_SECONDS,
        reasons=reason_codes(),
    )


async def queue_rows(inbox: Inbox, request: Request) -> Response:
    """Only the queue's rows (the page's refresh)."""
    reviewer = require_reviewer(request)
    items, problem = await reviewer_queue(inbox, request, reviewer)
    return inbox.render(request, "rows.html", 400 if problem else 200, items=items)


async def load_item(inbox: Inbox, request: Request, reviewer: str) -> Item:
    """The request the path names, when it is the reviewer's (see `read_item`)."""
    return await read_item(
        inbox.client,
        inbox.directory,
        reviewer,
        request.path_params["workflow_id"],
        request.path_params["request_id"],
        datetime.now(UTC),
    )


async def card(inbox: Inbox, request: Request) -> Response:
    """The request's card with its decision controls."""
    reviewer = require_reviewer(request)
    try:
        item = await load_item(inbox, request, reviewer)
    except NotFound as err:
        return inbox.render(request, "gone.html", 404, message=str(err))
    return inbox.render(
        request,
        "card.html",
        card=card_of(item),
        reasons=reason_codes(),
        decision_id=str(uuid.uuid4()),
    )
