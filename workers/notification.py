"""The notification worker: notification activities only, on their own task queue.

Run with `python -m workers.notification`. Channels are chosen per reviewer group by the
policy; the console/outbox channel is always available, Slack, email and the signed webhook
when their settings are present (`hitl.settings.channels`). Each channel has its own rate
limit, and the task queue as a whole one more.
"""

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


def build_notification_worker(
    client: Client,
    settings: NotificationWorkerSettings,
    *,
    task_queue: str | None = None,
) -> Worker:
    """Build the notification worker with the channels `settings` configure."""
    notifier = NotificationActivities(
        build_channels(settings), limiter=ChannelRateLimiter(settings.rates), inbox_url=settings.inbox_url
    )
    return Worker(
        client,
        task_queue=task_queue or settings.notify_task_queue,
        activities=[notifier.notify],
        max_task_queue_activities_per_second=MAX_ACTIVITIES_PER_SECOND,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


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
