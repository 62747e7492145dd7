"""Real local servers the notification channels talk to in tests: HTTP (Slack, webhook) and SMTP.

Both run in threads on free loopback ports and record what they receive. The HTTP server can
answer with a scripted list of status codes (to exercise retries), and checks the webhook's
HMAC signature itself, independently of the channel's own signing code.
"""

import contextlib
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from workers.local.ports import free_port


@dataclass
class Received:
    """One HTTP request the server got."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None
    """For a server with a secret: whether the HMAC matched."""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpRecorder:
    """A local HTTP endpoint: records POSTs, answers with `statuses` in turn, then 200."""

    secret: bytes | None = None
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextlib.contextmanager
def http_recorder(secret: bytes | None = None, statuses: list[int] | None = None) -> Iterator[HttpRecorder]:
    """Run an `HttpRecorder` for the duration of the block."""
    recorder = HttpRecorder(secret=secret, statuses=list(statuses or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok: bool | None = None
            if recorder.secret is not None:
                signed = headers.get("x-hitl-timestamp", "").encode() + b"." + body
                expected = "sha256=" + hmac.new(recorder.secret, signed, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, headers.get("x-hitl-signature", ""))
            with lock:
                recorder.received.append(Received(self.path, headers, body, ok))
                status = recorder.statuses.pop(0) if recorder.statuses else 200
            if ok is False:
                status = 401
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"no")

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        del server, session
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpRecorder:
    """A local SMTP server (aiosmtpd) and the messages it accepted: (recipients, message)."""

    port: int
    mailbox: _Mailbox

    @property
    def messages(self) -> list[tuple[list[str], Message]]:
        return self.mailbox.messages


@contextlib.contextmanager
def smtp_recorder() -> Iterator[SmtpRecorder]:
    """Run a local SMTP server for the duration of the block."""
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpRecorder(port=port, mailbox=mailbox)
    finally:
        controller.stop()
