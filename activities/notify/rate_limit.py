"""A token bucket per channel, so a burst of escalations never floods Slack, SMTP or a webhook.

The task queue as a whole is also rate limited (workers.notification); this limit is per
channel because their tolerances differ (a Slack incoming webhook accepts about one message a
second).
"""

import asyncio
import time

from activities.notify.errors import unavailable

MAX_WAIT_SECONDS = 20.0
"""Longer than this and the activity gives up its slot and is retried later (start-to-close is 30 s)."""


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> float:
        """Wait for a token; return the seconds waited."""
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            wait = max(0.0, (1.0 - self._tokens) / self.rate)
            if wait > MAX_WAIT_SECONDS:
                raise unavailable("rate limiter", f"would wait {wait:.1f} s for a slot")
            if wait:
                await asyncio.sleep(wait)
                self._tokens += wait * self.rate
                self._stamp = time.monotonic()
            self._tokens -= 1.0
            return wait


class ChannelRateLimiter:
    """One bucket per channel name; channels without a configured rate are not limited."""

    def __init__(self, rates: dict[str, float], burst: float = 5.0) -> None:
        self._buckets = {name: TokenBucket(rate, burst) for name, rate in rates.items()}

    async def acquire(self, channel: str) -> float:
        """Wait for the channel's next slot; return the seconds waited."""
        bucket = self._buckets.get(channel)
        return await bucket.take() if bucket is not None else 0.0
