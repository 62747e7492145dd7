"""The workers' health endpoints, for an orchestrator's probes (`deploy/k8s`).

With `HITL_HEALTH_PORT` set, a worker serves two paths over HTTP from a thread of its own:

- `/livez`: 200 while the worker's event loop keeps beating (it records a heartbeat every
  `BEAT` seconds); 503 once the loop has missed beats for `STALE_AFTER` seconds, so a wedged
  process is restarted;
- `/readyz`: 200 while the worker is connected and polling its task queue and the loop is live;
  503 before it started and once it began stopping.

The server is the standard library's `http.server`; without the setting nothing listens.
"""

import asyncio
import contextlib
import http.server
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

LIVE_PATH = "/livez"
READY_PATH = "/readyz"
BEAT = 1.0
"""Seconds between heartbeats of the event loop."""
STALE_AFTER = 15.0
"""Seconds without a heartbeat after which the worker reports itself not live."""


class Health:
    """What the probes read: written by the worker's event loop, read by the server's thread."""

    def __init__(self, stale_after: float = STALE_AFTER) -> None:
        self.stale_after = stale_after
        self.ready = False
        self._beat = time.monotonic()

    def beat(self) -> None:
        """Record that the event loop runs."""
        self._beat = time.monotonic()

    @property
    def live(self) -> bool:
        """The event loop beat recently."""
        return time.monotonic() - self._beat < self.stale_after

    def status(self, path: str) -> int:
        """The HTTP status for a probe of `path`."""
        if path == LIVE_PATH:
            return 200 if self.live else 503
        if path == READY_PATH:
            return 200 if self.ready and self.live else 503
        return 404


@contextlib.asynccontextmanager
async def serving(health: Health, port: int | None, host: str = "0.0.0.0") -> AsyncIterator[None]:
    """Serve `health` on `host:port` and keep its heartbeat while the block runs; no-op for None."""
    if port is None:
        yield
        return
    server = http.server.ThreadingHTTPServer((host, port), _handler(health))
    thread = threading.Thread(target=server.serve_forever, name="health", daemon=True)
    thread.start()
    beating = asyncio.create_task(_beat(health))
    log.info("health endpoints on port %s (%s, %s)", port, LIVE_PATH, READY_PATH)
    try:
        yield
    finally:
        beating.cancel()
        server.shutdown()
        server.server_close()


async def _beat(health: Health) -> None:
    while True:
        health.beat()
        await asyncio.sleep(BEAT)


def _handler(health: Health) -> type[http.server.BaseHTTPRequestHandler]:
    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = health.status(self.path)
            body = f"{code}\n".encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Probes come every few seconds: do not log each one."""

    return Probe
