"""`notify_reviewers`: deliver a notice on the channel the policy chose for the group."""

from temporalio import activity

from activities.notify.channel import Channel
from hitl import activity_names
from hitl.contracts import Notice, NotifyResult


class NotificationActivities:
    """Dispatches notices to channels; an unknown channel falls back to the default one."""

    def __init__(self, channels: dict[str, Channel], default: str = "console") -> None:
        if default not in channels:
            raise ValueError(f"default channel {default!r} is not configured")
        self._channels = channels
        self._default = default

    @activity.defn(name=activity_names.NOTIFY)
    async def notify(self, notice: Notice) -> NotifyResult:
        """Deliver one notice; raising lets Temporal retry it with backoff."""
        channel = self._channels.get(notice.channel)
        if channel is None:
            activity.logger.warning("channel %s is not configured; using %s", notice.channel, self._default)
            channel = self._channels[self._default]
        await channel.send(notice)
        return NotifyResult(delivered=[channel.name])
