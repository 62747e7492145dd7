"""The notification worker: notification activities only, on their own task queue.

Run with `python -m workers.notification`. Channels are chosen per reviewer group by the
policy; the console/outbox channel is always available, Slack, email and the signed webhook
when their settings are present (`activities.notify.config`). Each channel has its own rate
limit, and the task queue as a whole one more.
"""

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify.activities import NotificationActivities
from activities.notify.channel import Channel
from activities.notify.config import ChannelSettings
from activities.notify.console import ConsoleOutboxChannel
from activities.notify.email import EmailChannel
from activities.notify.rate_limit import ChannelRateLimiter
from activities.notify.slack import SlackChannel
from activities.notify.webhook import WebhookChannel
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.settings import Settings
from workers.running import GRACEFUL_SHUTDOWN, configure_logging, run_until_stopped, start_telemetry

MAX_ACTIVITIES_PER_SECOND = 20.0
"""Rate limit for the whole task queue, so a burst of escalations does not flood the channels."""


def build_channels(settings: Settings, channels: ChannelSettings) -> dict[str, Channel]:
    """Every channel the settings configure, by name; `console` always."""
    built: dict[str, Channel] = {"console": ConsoleOutboxChannel(settings.outbox)}
    if channels.slack_webhook_url is not None:
        built["slack"] = SlackChannel(channels.slack_webhook_url, channels.http_timeout)
    if channels.smtp_host:
        built["email"] = EmailChannel(channels)
    if channels.webhook_url and channels.webhook_secret is not None:
        built["webhook"] = WebhookChannel(
            channels.webhook_url, channels.webhook_secret, channels.http_timeout
        )
    return built


def build_notification_worker(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    channels: ChannelSettings | None = None,
) -> Worker:
    """Build the notification worker with the channels `channels` configure (console only by default)."""
    config = channels or ChannelSettings()
    notifier = NotificationActivities(
        build_channels(settings, config), limiter=ChannelRateLimiter(config.rates)
    )
    return Worker(
        client,
        task_queue=task_queue or settings.notify_task_queue,
        activities=[notifier.notify],
        max_task_queue_activities_per_second=MAX_ACTIVITIES_PER_SECOND,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def main() -> int:
    configure_logging()
    telemetry = start_telemetry("hitl-notification-worker")
    client = await connect()
    worker = build_notification_worker(client, Settings.from_env(), channels=ChannelSettings.from_env())
    await run_until_stopped(worker, telemetry)
    return 0


if __name__ == "__main__":
    run_and_exit(main())
