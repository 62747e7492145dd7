"""Batch: pick several requests (or all that match the queue's filters), see what they add up
to, decide once, and read each task's answer.

The preview lists exactly the requests that will be decided, each bound to the run and action
version shown; the decision goes to each as its own signed `decide` update, so each task answers
for itself (accepted, or refused with its code) and nothing else is touched.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from hitl.inbox.cards import card_of, needs_confirmation, reason_codes
from hitl.inbox.context import Inbox
from hitl.inbox.deciding import NotSent, decision_from, send
from hitl.inbox.pages import reviewer_queue
from hitl.inbox.reading import Item, NotFound, read_item
from hitl.inbox.session import Forbidden, check_csrf, require_reviewer
from hitl.inbox.words import in_words

PARALLEL = 8
"""Decisions in flight at once."""
BATCH_OUTCOMES = ("approve", "reject")


@dataclass(frozen=True)
class Result:
    """One task's answer to the batch."""

    workflow_id: str
    request_id: str
    kind: str
    text: str


async def preview(inbox: Inbox, request: Request) -> Response:
    """What the picked requests (or all that match the filters) are, and their total."""
    reviewer = require_reviewer(request)
    form = await request.form()
    check_csrf(request, form)
    if form.get("all") == "1":
        items, _ = await reviewer_queue(inbox, request, reviewer)
        skipped: list[str] = []
    else:
        items, skipped = await _read_picked(inbox, reviewer, form)
    amounts = [i.entry.amount for i in items if i.entry.amount is not None]
    return inbox.render(
        request,
        "batch.html",
        items=items,
        skipped=skipped,
        total=sum(amounts),
        digests={i.path: i.digest for i in items},
        high_risk=any(card_of(i).high_risk for i in items),
        reasons=reason_codes(),
        outcomes=BATCH_OUTCOMES,
    )


async def decide_batch(inbox: Inbox, request: Request) -> Response:
    """Send the batch's decision to each picked request; show every answer."""
    reviewer = require_reviewer(request)
    form = await request.form()
    check_csrf(request, form)
    picks = _picks(form)
    if not inbox.limiter.decide(reviewer, count=max(len(picks), 1)):
        raise Forbidden("too many decisions in a short time; wait a moment", status=429)
    batch_id = uuid.uuid4()
    gate = asyncio.Semaphore(PARALLEL)

    async def one(pick: list[str]) -> Result:
        async with gate:
            return await _decide_one(inbox, reviewer, form, pick, batch_id)

    results = await asyncio.gather(*(one(p) for p in picks))
    accepted = sum(1 for r in results if r.kind == "ok")
    return inbox.render(request, "batch_results.html", results=results, accepted=accepted)


async def _decide_one(
    inbox: Inbox, reviewer: str, form: FormData, pick: list[str], batch_id: uuid.UUID
) -> Result:
    workflow_id, request_id, run_id, digest = pick
    try:
        item = await read_item(
            inbox.client, inbox.directory, reviewer, workflow_id, request_id, datetime.now(UTC)
        )
        card = card_of(item)
        if needs_confirmation(card, str(form.get("outcome"))) and form.get("confirm") != "yes":
            raise NotSent("high-risk requests in the batch: tick the confirmation")
        fields = {
            **{k: str(v) for k, v in form.items() if k in ("outcome", "reason_code", "comment")},
            "run_id": run_id,
            "digest": digest,
            "decision_id": str(uuid.uuid5(batch_id, f"{workflow_id}/{request_id}")),
        }
        decision = decision_from(card, reviewer, FormData(fields))
    except (NotFound, NotSent, Forbidden) as err:
        text = err.message if isinstance(err, Forbidden) else str(err)
        return Result(workflow_id, request_id, "refused", f"Not sent: {text}")
    answer = await send(inbox, item, decision)
    kind, text = in_words(answer, decision.outcome.value, workflow_id)
    return Result(workflow_id, request_id, kind, text)


async def _read_picked(inbox: Inbox, reviewer: str, form: FormData) -> tuple[list[Item], list[str]]:
    now = datetime.now(UTC)
    gate = asyncio.Semaphore(PARALLEL)

    async def one(workflow_id: str, request_id: str) -> Item | str:
        try:
            async with gate:
                return await read_item(inbox.client, inbox.directory, reviewer, workflow_id, request_id, now)
        except NotFound as err:
            return str(err)
        except Forbidden:
            return f"{workflow_id} ({request_id}) is not in your queue"

    found = await asyncio.gather(*(one(p[0], p[1]) for p in _picks(form)))
    return [f for f in found if isinstance(f, Item)], [f for f in found if isinstance(f, str)]


def _picks(form: FormData) -> list[list[str]]:
    """The picked requests: JSON `[workflow_id, request_id, run_id?, digest?]` per `pick` field."""
    found: list[list[str]] = []
    for raw in form.getlist("pick"):
        try:
            value = json.loads(str(raw))
        except ValueError:
            continue
        if isinstance(value, list) and 2 <= len(value) <= 4 and all(isinstance(v, str) for v in value):
            found.append([*value, "", ""][:4])
    return found
