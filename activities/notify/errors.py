"""How channels fail, as `ApplicationError` types Temporal's retry policy understands.

- `ChannelUnavailable` (retryable): the endpoint is down, slow, rate limiting (429) or failing
  (5xx). Temporal retries the activity with backoff; the gate's timers never wait for it.
- `ChannelRejected` (non-retryable): the endpoint refuses the message for good (4xx, unknown
  recipient, no recipient configured). Retrying cannot help; the failure is audited.
"""

import httpx
from temporalio.exceptions import ApplicationError

CHANNEL_UNAVAILABLE = "ChannelUnavailable"
CHANNEL_REJECTED = "ChannelRejected"


def unavailable(channel: str, detail: str) -> ApplicationError:
    """A transient failure: retry with backoff."""
    return ApplicationError(f"{channel} is unavailable: {detail}", type=CHANNEL_UNAVAILABLE)


def rejected(channel: str, detail: str) -> ApplicationError:
    """A permanent failure: do not retry."""
    return ApplicationError(
        f"{channel} rejected the notice: {detail}", type=CHANNEL_REJECTED, non_retryable=True
    )


async def post_json(
    channel: str, url: str, body: bytes, headers: dict[str, str], http_timeout: float
) -> None:
    """POST `body` and classify the answer; the HTTP client itself never retries.

    Raises:
        ApplicationError: `ChannelUnavailable` or `ChannelRejected`.
    """
    try:
        async with httpx.AsyncClient(timeout=http_timeout) as http:
            response = await http.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
    except httpx.HTTPError as err:
        raise unavailable(channel, f"{type(err).__name__}: {err}") from err
    if response.status_code == 429 or response.status_code >= 500:
        raise unavailable(channel, f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise rejected(channel, f"HTTP {response.status_code}: {response.text[:200]}")
