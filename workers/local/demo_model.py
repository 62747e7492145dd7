"""A scripted stand-in for a model, so the agent-framework demos run offline (loopback only).

`python -m workers.local.demo_model PORT` serves `POST /v1/chat/completions` like an
OpenAI-compatible endpoint, answering with the tool calls a sensible refund agent would make:
ask first when the request says to (`ask`; a number in the answer is the amount), look the
order up, refund what was asked, email the customer when the request names an address,
close the ticket, then a closing sentence. A refund a reviewer sent back with "at most N" in the
comment is proposed again for N. It is not a model: set `HITL_LLM_BASE_URL` to use a real one.
"""

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def chat_answer(content: str, calls: list[tuple[str, dict[str, Any]]], turn: int = 0) -> dict[str, Any]:
    """A chat-completions answer with text and any number of tool calls (ids unique per turn)."""
    tool_calls = [
        {"id": f"call-{turn}-{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)
    ]
    message = {"role": "assistant", "content": content, "tool_calls": tool_calls or None}
    finish = "tool_calls" if calls else "stop"
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 0,
        "model": "demo",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
    }


def refund_loop(body: dict[str, Any]) -> tuple[int, Any]:
    """The scripted agent's next answer to a chat-completions request body."""
    messages = body["messages"]
    turn = sum(1 for m in messages if m["role"] == "assistant")
    request = next(m["content"] for m in messages if m["role"] == "user")
    subject = json.loads(str(request).split("Refund request: ", 1)[1])
    if subject.get("reuse_call_ids"):
        turn = 0  # a broken model: every turn's calls have the same ids

    def answer(content: str, *calls: tuple[str, dict[str, Any]]) -> tuple[int, Any]:
        return 200, chat_answer(content, list(calls), turn)

    names = {
        c["id"]: c["function"]["name"]
        for m in messages
        if m["role"] == "assistant"
        for c in m.get("tool_calls") or []
    }
    results = [
        (names.get(m.get("tool_call_id"), "?"), str(m.get("content")))
        for m in messages
        if m["role"] == "tool"
    ]
    replies = [text for name, text in results if name == "ask_user"]
    done = [(name, text) for name, text in results if name != "ask_user"]
    order = subject["order_id"]
    if subject.get("ask") and not replies:
        return answer("The request is unclear.", ("ask_user", {"question": subject["ask"]}))
    said = re.search(r"\d+", replies[-1]) if replies else None
    amount = float(said.group()) if said else subject["amount"]
    if not done:
        return answer("I will read the order first.", ("lookup_order", {"order_id": order}))
    tool, text = done[-1]
    if tool == "lookup_order":
        args = {"order_id": order, "amount": amount, "currency": "USD"}
        return answer("The order allows it; refunding what was asked.", ("issue_refund", args))
    if tool == "issue_refund" and "did not run" in text:
        cap = re.search(r"at most (\d+)", text)
        if cap is None:
            return answer(f"I could not refund: {text}")
        args = {"order_id": order, "amount": float(cap.group(1)), "currency": "USD"}
        return answer(f"Revising to {cap.group(1)} as the reviewer asked.", ("issue_refund", args))
    emailed = any(name == "email_customer" for name, _ in done)
    if tool == "issue_refund" and subject.get("email_to") and not emailed:
        email = {"order_id": order, "to": subject["email_to"], "subject": "Your refund", "body": "Refunded."}
        return answer("Telling the customer.", ("email_customer", email))
    if tool in ("issue_refund", "email_customer"):
        return answer("Refunded; closing the ticket.", ("close_ticket", {"ticket_id": f"T-{order}"}))
    refunded = [text for name, text in done if name == "issue_refund" and "did not run" not in text]
    return answer(f"Done. {refunded[-1] if refunded else 'Nothing refunded.'}")


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status, payload = refund_loop(body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(port: int) -> None:
    """Serve until stopped."""
    ThreadingHTTPServer(("127.0.0.1", port), _Handler).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
