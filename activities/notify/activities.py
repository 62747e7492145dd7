"""`notify_reviewers`: deliver a notice on the channel the policy chose for the group."""

from temporalio import activity

from activities.notify.channel import Channel
from activities.notify.rate_limit import ChannelRateLimiter
from activities.notify.render import with_inbox_link
from hitl import activity_names
from hitl.contracts import Notice, NotifyResult


class NotificationActivities:
    """Dispatches notices to channels, each within its rate limit; a channel the worker does not
    have configured falls back to the default one (the request is never left unannounced)."""

    def __init__(
        self,
        channels: dict[str, Channel],
        default: str = "console",
        limiter: ChannelRateLimiter | None = None,
        inbox_url: str | None = None,
    ) -> None:
        if default not in channels:
            raise ValueError(f"default channel {default!r} is not configured")
        self._channels = channels
        self._default = default
        self._limiter = limiter or ChannelRateLimiter({})
        self._inbox_url = inbox_url

    @activity.defn(name=activity_names.NOTIFY)
    async def notify(self, notice: Notice) -> NotifyResult:
        """Deliver one notice; raising lets Temporal retry it with backoff (see
        `activities.notify.errors` for which failures are retried)."""
        channel = self._channels.get(notice.channel)
        if channel is None:
            activity.logger.warning("channel %s is not configured; using %s", notice.channel, self._default)
            channel = self._channels[self._default]
        notice = with_inbox_link(notice, self._inbox_url)
        waited = await self._limiter.acquire(channel.name)
        if waited:
            activity.logger.info("rate limit: waited %.2f s for %s", waited, channel.name)
        await channel.send(notice)
        return NotifyResult(delivered=[channel.name])
