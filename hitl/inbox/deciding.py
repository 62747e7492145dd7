"""Deciding one request: the form's decision, checked, signed as the logged-in reviewer, sent as
the `decide` update; the gate's answer is the next page's message.

Before anything is sent the inbox checks what it can: the request is still open and the
reviewer's, the action is the version the reviewer saw (its digest), the outcome is offered, a
reject has a reason code, a modify's patch satisfies the tool's argument model, and a high-risk
approval was confirmed. The decision names the session's reviewer, never a form field.
"""

import json
import time
import uuid
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hitl.contracts import Decision, Outcome
from hitl.inbox.cards import Card, card_of, needs_confirmation
from hitl.inbox.context import Inbox
from hitl.inbox.forms import check_patch
from hitl.inbox.pages import load_item
from hitl.inbox.reading import Item, NotFound, args_model
from hitl.inbox.session import check_csrf, flash, require_reviewer, safe_next
from hitl.inbox.words import in_words
from hitl.reason_codes import REASON_CODES
from hitl.review.deciding import DecideAnswer, send_decision
from hitl.review.issuer import target_of


class NotSent(Exception):
    """The inbox refuses to send the decision; the message says why."""


async def decide(inbox: Inbox, request: Request) -> Response:
    """Send the decision the card's form describes; show the gate's answer on the next page."""
    reviewer = require_reviewer(request)
    form = await request.form()
    check_csrf(request, form)
    try:
        item = await load_item(inbox, request, reviewer)
    except NotFound as err:
        flash(request, "refused", f"Not sent: {err}.")
        return RedirectResponse("/queue", status_code=303)
    card = card_of(item)
    try:
        decision = decision_from(card, reviewer, form)
    except NotSent as err:
        flash(request, "refused", f"Not sent: {err}")
        return RedirectResponse(item.path, status_code=303)
    if needs_confirmation(card, decision.outcome.value) and form.get("confirm") != "yes":
        return inbox.render(request, "confirm.html", card=card, fields=_resend(form))
    if not inbox.limiter.decide(reviewer):
        flash(request, "error", "Not sent: too many decisions in a short time; wait a moment.")
        return RedirectResponse(item.path, status_code=303)
    answer = await send(inbox, item, decision)
    kind, text = in_words(
        answer, decision.outcome.value, f"{item.queued.workflow_id} ({item.entry.request_id})"
    )
    flash(request, kind, text)
    accepted = kind == "ok"
    return RedirectResponse(safe_next(str(form.get("next", ""))) if accepted else item.path, status_code=303)


async def send(inbox: Inbox, item: Item, decision: Decision) -> DecideAnswer:
    """Sign `decision` as the inbox's issuer (when it has a key) and send it as an update."""
    if inbox.issuer is not None:
        decision = inbox.issuer.sign(
            decision, inbox.client.namespace, [target_of(item.queued)], int(time.time())
        )
    return await send_decision(inbox.client, item.queued.workflow_id, decision)


def decision_from(card: Card, reviewer: str, form: FormData) -> Decision:
    """The decision the form describes, by `reviewer`, on the card's request.

    Raises:
        NotSent: The form does not describe a decision the inbox will send.
    """
    item = card.item
    if form.get("run_id") != item.queued.run_id or form.get("digest") != item.digest:
        raise NotSent("stale_action: the action changed since you opened it; here is the new version.")
    outcome = str(form.get("outcome", ""))
    if outcome not in card.outcomes:
        raise NotSent(f"{outcome or 'no decision'} is not offered for this request.")
    reason = str(form.get("reason_code", "")) or None
    if reason is not None and reason not in REASON_CODES:
        raise NotSent(f"{reason!r} is not a reason code.")
    if outcome == Outcome.REJECT.value and reason is None:
        raise NotSent("choose a reason code to reject.")
    patch = _patch(item, form) if outcome == Outcome.MODIFY.value else None
    answer = str(form.get("answer", "")) or None
    try:
        return Decision(
            outcome=Outcome(outcome),
            reviewer=reviewer,
            request_id=item.entry.request_id,
            reason_code=reason,
            comment=str(form.get("comment", "")),
            patch=patch,
            answer=answer,
            decision_id=_decision_id(form),
        )
    except ValidationError as err:
        raise NotSent("; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())) from None


def _patch(item: Item, form: FormData) -> dict[str, Any]:
    try:
        patch = json.loads(str(form.get("patch", "")))
    except ValueError:
        raise NotSent("the changed arguments are not readable; modify again.") from None
    if not isinstance(patch, dict) or not patch:
        raise NotSent("nothing was changed.")
    model = args_model(item.queued.workflow_type, item.queued.request.action.tool)
    if model is None:
        raise NotSent(f"{item.queued.request.action.tool} has no argument model to check changes against.")
    problem = check_patch(model, item.queued.request.action.args, patch)
    if problem:
        raise NotSent(f"the changed arguments do not fit {item.queued.request.action.tool}: {problem}")
    return patch


def _decision_id(form: FormData) -> str:
    """The form's decision id (a page sent twice is applied once), or a new one."""
    given = str(form.get("decision_id", ""))
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid4())


def _resend(form: FormData) -> list[tuple[str, str]]:
    """The form's fields, to send again once confirmed."""
    return [(k, str(v)) for k, v in form.multi_items() if k not in ("confirm", "csrf")]
