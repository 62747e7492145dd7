"""Generic webhook: the notice as JSON, signed with HMAC-SHA256 so the receiver can trust it.

Headers of every delivery:
- `X-Hitl-Timestamp`: Unix seconds when it was signed.
- `X-Hitl-Signature`: `sha256=` + hex HMAC-SHA256 of `{timestamp}.{body}` under the shared secret.
- `X-Hitl-Delivery`: the notice key; a retried delivery repeats it, so receivers can drop repeats.

A receiver recomputes the HMAC over the raw body bytes, compares in constant time and refuses
timestamps older than a few minutes (`verify_signature` does exactly that).
"""

import hashlib
import hmac
import json
import time

from pydantic import SecretStr

from activities.notify.errors import post_json
from hitl.contracts import Notice

SIGNATURE_HEADER = "X-Hitl-Signature"
TIMESTAMP_HEADER = "X-Hitl-Timestamp"
DELIVERY_HEADER = "X-Hitl-Delivery"
TOLERANCE_SECONDS = 300


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """Whether a delivery is authentic and fresh (what a receiver should check)."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    """POSTs signed notices to one URL."""

    name = "webhook"

    def __init__(self, url: str, secret: SecretStr, timeout: float = 10.0) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout

    async def send(self, notice: Notice) -> None:
        """Post the signed notice; a 429 or 5xx is retried by Temporal, another 4xx is not."""
        body = json.dumps(notice.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret.get_secret_value().encode(), timestamp, body),
            DELIVERY_HEADER: notice.notice_key,
        }
        await post_json(self.name, self._url, body, headers, self._timeout)
