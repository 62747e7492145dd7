"""The interface of a notification channel."""

from typing import Protocol

from hitl.contracts import Notice


class Channel(Protocol):
    """Delivers notices one way (console, Slack, email, webhook)."""

    name: str

    async def send(self, notice: Notice) -> None:
        """Deliver one notice or raise; Temporal retries the activity with backoff."""
        ...
