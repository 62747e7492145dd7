"""The notification worker: notification activities only, on their own task queue.

Run with `python -m workers.notification`. Channels are chosen per reviewer group by the
policy; the console/outbox channel is always available, Slack, email and the signed webhook
when their settings are present (`hitl.settings.channels`). Each channel has its own task queue
(`hitl.names.channel_queue`) whose rate limit (`HITL_NOTIFY_RATES`) the Temporal server enforces
across every replica of this worker; the shared queue (tasks started before per-channel queues)
is limited as a whole and per process.
"""

import contextlib
from types import TracebackType

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify.activities import NotificationActivities
from activities.notify.channel import Channel
from activities.notify.console import ConsoleOutboxChannel
from activities.notify.email import EmailChannel
from activities.notify.rate_limit import ChannelRateLimiter
from activities.notify.slack import SlackChannel
from activities.notify.webhook import WebhookChannel
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.names import NOTIFY_CHANNELS, channel_queue
from hitl.settings import NotificationWorkerSettings
from hitl.settings.channels import HTTP_TIMEOUT
from workers.running import GRACEFUL_SHUTDOWN, configure_logging, run_until_stopped, start_telemetry

MAX_ACTIVITIES_PER_SECOND = 20.0
"""Rate limit for the whole task queue, so a burst of escalations does not flood the channels."""


def build_channels(settings: NotificationWorkerSettings) -> dict[str, Channel]:
    """Every channel the settings configure, by name; `console` always."""
    built: dict[str, Channel] = {"console": ConsoleOutboxChannel(settings.outbox)}
    if settings.slack_webhook_url is not None:
        built["slack"] = SlackChannel(settings.slack_webhook_url, HTTP_TIMEOUT)
    if settings.smtp_host:
        built["email"] = EmailChannel(settings)
    if settings.webhook_url and settings.webhook_secret is not None:
        built["webhook"] = WebhookChannel(settings.webhook_url, settings.webhook_secret, HTTP_TIMEOUT)
    return built


class NotificationWorkers:
    """The notification worker's pollers, run together: the shared queue and one per channel."""

    def __init__(self, task_queue: str, workers: list[Worker]) -> None:
        self.task_queue = task_queue
        """The shared notification queue (each channel's queue is named after it)."""
        self.workers = workers
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "NotificationWorkers":
        for worker in self.workers:
            await self._stack.enter_async_context(worker)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.__aexit__(kind, error, tb)


def build_notification_worker(
    client: Client,
    settings: NotificationWorkerSettings,
    *,
    task_queue: str | None = None,
) -> NotificationWorkers:
    """Build the notification worker with the channels `settings` configure: a poller on the
    shared queue and one on each channel's queue, at that channel's rate across all replicas."""
    notifier = NotificationActivities(
        build_channels(settings), limiter=ChannelRateLimiter(settings.rates), inbox_url=settings.inbox_url
    )
    queue = task_queue or settings.notify_task_queue

    def poller(on: str, rate: float | None) -> Worker:
        return Worker(
            client,
            task_queue=on,
            activities=[notifier.notify],
            max_task_queue_activities_per_second=rate,
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        )

    channels = [poller(channel_queue(queue, c), settings.rates.get(c)) for c in NOTIFY_CHANNELS]
    return NotificationWorkers(queue, [poller(queue, MAX_ACTIVITIES_PER_SECOND), *channels])


async def main() -> int:
    settings = NotificationWorkerSettings.from_env()
    configure_logging(settings)
    telemetry = start_telemetry(settings, "hitl-notification-worker")
    client = await connect()
    worker = build_notification_worker(client, settings)
    await run_until_stopped(worker, telemetry, settings.health_port)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
