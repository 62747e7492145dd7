"""A local stand-in for an OpenAI-compatible chat-completions endpoint (loopback only).

The test gives a `respond(body) -> (status, payload)` function; every request body is kept.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.local_server import LocalServer, QuietHandler

Respond = Callable[[dict[str, Any]], tuple[int, Any]]


class FakeChatServer:
    """Serves POST /v1/chat/completions with scripted answers."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.headers.append(dict(self.headers))
                status, payload = outer.respond(body)
                self.send_json(payload, status)

        self._server = LocalServer(Handler)

    @property
    def base_url(self) -> str:
        return f"{self._server.origin}/v1"

    @contextmanager
    def running(self) -> Iterator["FakeChatServer"]:
        with self._server.serving():
            yield self


def function_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A chat-completions answer holding one function call."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call-1",
                            "type": "function",
                            "function": {"name": name, "arguments": json.dumps(arguments)},
                        }
                    ],
                },
            }
        ],
    }


def refund_script(body: dict[str, Any]) -> tuple[int, Any]:
    """A scripted model that handles a refund the way a good agent would."""
    prompt = body["messages"][-1]["content"]
    subject = json.loads(prompt.split("Subject: ", 1)[1].split("\n", 1)[0])
    steps = json.loads(prompt.split("Steps so far: ", 1)[1].split("\n", 1)[0])
    if "The task is ending" in prompt:
        return 200, function_call(
            "finish", {"message": f"ended after {steps[-1]['status']} {steps[-1]['tool']}"}
        )
    done = {s["tool"]: s for s in steps if s["status"] == "executed"}
    if "lookup_order" not in done:
        return 200, function_call(
            "propose_action",
            {"tool": "lookup_order", "args": {"order_id": subject["order_id"]}, "confidence": 0.99},
        )
    if "issue_refund" not in done:
        order = done["lookup_order"]["output"]
        return 200, function_call(
            "propose_action",
            {
                "tool": "issue_refund",
                "args": {"order_id": order["order_id"], "amount": subject["amount"], "currency": "USD"},
                "summary": f"Refund {subject['amount']} USD",
                "rationale": "the customer returned the item",
                "sources": ["order record"],
                "confidence": 0.82,
                "alternatives": ["store credit"],
                "recommendation": "approve",
            },
        )
    return 200, function_call("finish", {"message": "refund done"})
