"""The notification worker: notification activities only, on their own task queue.

Run with `python -m workers.notification`. Channels are chosen per reviewer group by the
policy; the console/outbox channel is always available.
"""

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify.activities import NotificationActivities
from activities.notify.console import ConsoleOutboxChannel
from hitl.clean_exit import run_and_exit
from hitl.client import connect
from hitl.settings import Settings
from workers.running import configure_logging, run_until_stopped

MAX_ACTIVITIES_PER_SECOND = 20.0
"""Rate limit for the whole task queue, so a burst of escalations does not flood the channels."""


def build_notification_worker(client: Client, settings: Settings, *, task_queue: str | None = None) -> Worker:
    """Build the notification worker with the channels `settings` configure."""
    notifier = NotificationActivities({"console": ConsoleOutboxChannel(settings.outbox)})
    return Worker(
        client,
        task_queue=task_queue or settings.notify_task_queue,
        activities=[notifier.notify],
        max_task_queue_activities_per_second=MAX_ACTIVITIES_PER_SECOND,
    )


async def main() -> int:
    configure_logging()
    client = await connect()
    await run_until_stopped(build_notification_worker(client, Settings.from_env()))
    return 0


if __name__ == "__main__":
    run_and_exit(main())
