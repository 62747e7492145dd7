"""Read a history as its JSON text shows it: every payload, and all the text a reader could see.

Payload bytes are base64 in history JSON, so plaintext there is not greppable as such: the
readable text includes every payload's data and metadata, base64-decoded.
"""

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any


def payloads(history: Any) -> Iterator[dict[str, Any]]:
    """Every payload (a dict with `metadata.encoding`) in a history's JSON, at any depth."""
    if isinstance(history, dict):
        metadata = history.get("metadata")
        if isinstance(metadata, dict) and "encoding" in metadata:
            yield history
        for value in history.values():
            yield from payloads(value)
    elif isinstance(history, list):
        for value in history:
            yield from payloads(value)


def key_ids(history: Any) -> set[str]:
    """The codec key ids payloads name."""
    return {
        _b64(p["metadata"]["encryption-key-id"])
        for p in payloads(history)
        if "encryption-key-id" in p["metadata"]
    }


def readable_text(raw: str) -> str:
    """The raw JSON text plus every payload's data and metadata values, base64-decoded."""
    decoded = [
        _b64(value)
        for payload in payloads(json.loads(raw))
        for value in [payload.get("data", ""), *payload["metadata"].values()]
    ]
    return "\n".join([raw, *decoded])


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""
