"""A long-running model behind the local fake chat-completions server: it looks the task's order
up, closes its ticket again and again (`subject["steps"]` steps in all, each undoable), then
proposes a refund of `subject["final_refund"]` (a gated one), then finishes."""

import json
from typing import Any

from tests.fake_chat_server import function_call


def long_script(body: dict[str, Any]) -> tuple[int, Any]:
    """The fake server's answer for the task's next step."""
    prompt = body["messages"][-1]["content"]
    subject = json.loads(prompt.split("Subject: ", 1)[1].split("\n", 1)[0])
    steps = json.loads(prompt.split("Steps so far: ", 1)[1].split("\n", 1)[0])
    if "The task is ending" in prompt or len(steps) >= subject["steps"]:
        return 200, function_call("finish", {"message": f"done after {len(steps)} steps"})
    order = subject["order_id"]
    if not steps:
        proposal: dict[str, Any] = {"tool": "lookup_order", "args": {"order_id": order}}
    elif len(steps) < subject["steps"] - 1:
        ticket = steps[0]["output"]["ticket_id"]
        proposal = {"tool": "close_ticket", "args": {"ticket_id": ticket, "resolution": f"pass {len(steps)}"}}
    else:
        amount = subject["final_refund"]
        args = {"order_id": order, "amount": amount, "currency": "USD", "reason": "goodwill"}
        proposal = {"tool": "issue_refund", "args": args, "summary": f"Refund {amount}"}
    return 200, function_call("propose_action", {**proposal, "confidence": 0.99})
