"""Modify: a form generated from the tool's argument model, then the diff to confirm.

`GET .../modify` shows the form filled with the proposed arguments; `POST .../modify` validates
what was submitted with the model (refused fields are shown with the model's message, and
nothing is sent); when it fits, the page shows the diff and a confirm button that sends the
`modify` decision (`hitl.inbox.deciding`), which checks the patch with the model once more.
"""

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hitl.inbox.cards import card_of, needs_confirmation
from hitl.inbox.context import Inbox
from hitl.inbox.forms import diff, form_fields, read_patch
from hitl.inbox.pages import load_item
from hitl.inbox.reading import NotFound, args_model
from hitl.inbox.session import check_csrf, require_reviewer

ARG = "arg."
"""Prefix of the argument inputs, so no argument name can collide with the form's own fields."""


async def modify_form(inbox: Inbox, request: Request) -> Response:
    """The modify form, or the modify preview when the form was posted."""
    reviewer = require_reviewer(request)
    form = await request.form() if request.method == "POST" else None
    if form is not None:
        check_csrf(request, form)
    try:
        item = await load_item(inbox, request, reviewer)
    except NotFound as err:
        return inbox.render(request, "gone.html", 404, message=str(err))
    card = card_of(item)
    action = item.queued.request.action
    model = args_model(item.queued.workflow_type, action.tool)
    if model is None or "modify" not in card.outcomes:
        reason = "this request cannot be modified" if model else f"{action.tool} has no argument model"
        return inbox.render(request, "gone.html", 409, message=reason)
    values: dict[str, Any] = {
        "card": card,
        "digest": item.digest,
        "decision_id": str(uuid.uuid4()),
    }
    if form is None:
        return inbox.render(request, "modify.html", fields=form_fields(model, action.args), **values)
    submitted = {k.removeprefix(ARG): str(v) for k, v in form.items() if k.startswith(ARG)}
    result = read_patch(model, action.args, submitted)
    if result.errors:
        return inbox.render(
            request,
            "modify.html",
            422,
            fields=form_fields(model, result.submitted, result.errors),
            form_error=result.errors.get("_", ""),
            **values,
        )
    return inbox.render(
        request,
        "modify_confirm.html",
        changes=diff(action.args, result.patch),
        patch=json.dumps(result.patch, sort_keys=True),
        comment=str(form.get("comment", "")),
        high_risk=needs_confirmation(card, "modify"),
        **values,
    )
