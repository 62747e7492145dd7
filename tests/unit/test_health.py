"""The workers' health endpoints: live while the event loop beats, ready while the worker polls."""

import time
import urllib.error
import urllib.request

from workers.health import LIVE_PATH, READY_PATH, Health, serving
from workers.local.ports import free_port


def probe(port: int, path: str) -> int:
    """GET `path` the way a kubelet's httpGet probe does; the status code."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return err.code


def stall(seconds: float) -> None:
    """Block the event loop, as a wedged worker would: no heartbeat meanwhile."""
    time.sleep(seconds)


async def test_ready_only_while_polling_and_not_live_once_the_loop_stalls() -> None:
    port = free_port()
    health = Health(stale_after=0.5)
    async with serving(health, port, host="127.0.0.1"):
        assert (probe(port, LIVE_PATH), probe(port, READY_PATH), probe(port, "/")) == (200, 503, 404)
        health.ready = True
        assert probe(port, READY_PATH) == 200
        stall(0.8)
        assert (probe(port, LIVE_PATH), probe(port, READY_PATH)) == (503, 503)


async def test_without_a_port_nothing_listens() -> None:
    async with serving(Health(), None):
        pass
