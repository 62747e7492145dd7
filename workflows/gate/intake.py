"""Turn whatever arrived as a `decide` signal or update into a `Decision`, or a refusal with its reason.

The Temporal CLI and Web UI can send anything: no argument, several, a `binary/plain` payload,
bytes that are not JSON, JSON nested hundreds deep, a lone surrogate, a megabyte of reviewer
name. The SDK would drop a payload it cannot decode with only a log line, wedge the workflow on a
missing one, or answer an update with a retryable decode error, so the handlers take their
payloads raw (`RawValue`: already decrypted by the codec, not yet decoded) and this module decodes
and checks them. Pure.
"""

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from temporalio.common import RawValue

from hitl.contracts.review import Decision
from hitl.contracts.text import excerpt

EXAMPLE = '{"outcome":"approve","reviewer":"YOUR_ID"}'

MAX_DECISION_BYTES = 262_144
"""A decision's JSON, at most: a batch decision's proof names up to 1,000 targets (~210 KB)."""

FIELD_CODES = {
    "string_too_long": "field_too_long",
    "too_long": "field_too_long",
    "control_character": "control_character",
    "invalid_unicode": "invalid_unicode",
    "string_unicode": "invalid_unicode",
    "too_deep": "too_deep",
    "too_large": "too_large",
}
"""Pydantic error types (`hitl.contracts.text`) that get a refusal code of their own; any other
validation error is `invalid_decision`."""

MAX_MESSAGE = 500
"""Characters of a refusal message built from validation errors."""


class Malformed(Exception):
    """The payload is not a decision. `code` is stable, `message` says what to send instead."""

    def __init__(self, code: str, message: str, reviewer: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reviewer = reviewer
        """Who the payload names as reviewer (an `excerpt`), when it names anyone."""


def parse_decision(args: Sequence[RawValue]) -> Decision:
    """Decode and validate the raw arguments of a `decide` signal or update.

    Raises:
        Malformed: with code `missing_payload`, `too_many_arguments`, `not_json` (another
            encoding, bytes that are not UTF-8 JSON), `too_large`, `too_deep`, `not_an_object`,
            or from validation `field_too_long`, `control_character`, `invalid_unicode`,
            `too_deep`, `too_large`, `invalid_decision`.
    """
    if not args:
        raise Malformed("missing_payload", f"the signal carried no decision; send --input '{EXAMPLE}'")
    if len(args) > 1:
        raise Malformed("too_many_arguments", f"expected one decision, got {len(args)} arguments")
    value = decode_json(args[0])
    if not isinstance(value, dict):
        raise Malformed("not_an_object", f"expected a JSON object like {EXAMPLE}, got {type(value).__name__}")
    reviewer = _reviewer_of(value)
    try:
        return Decision.model_validate(value)
    except ValidationError as err:
        errors = err.errors(include_url=False, include_input=False)
        code = next((FIELD_CODES[e["type"]] for e in errors if e["type"] in FIELD_CODES), "invalid_decision")
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors)
        raise Malformed(code, excerpt(problems, MAX_MESSAGE), reviewer) from err
    except RecursionError as err:
        raise Malformed("too_deep", "the decision is nested too deep", reviewer) from err


def decode_json(raw: RawValue) -> Any:
    """The JSON value a raw payload holds (`binary/null` is None).

    Raises:
        Malformed: `not_json`, `too_large` or `too_deep`.
    """
    payload = raw.payload
    encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
    if encoding == "binary/null":
        return None
    if encoding != "json/plain":
        raise Malformed(
            "not_json",
            f"the payload is {excerpt(encoding, 40)!r} ({len(payload.data)} bytes), not JSON; "
            f"send --input '{EXAMPLE}'",
        )
    if len(payload.data) > MAX_DECISION_BYTES:
        raise Malformed(
            "too_large",
            f"the payload is {len(payload.data)} bytes; a decision is at most {MAX_DECISION_BYTES}",
        )
    try:
        return json.loads(payload.data)
    except RecursionError as err:
        raise Malformed("too_deep", "the JSON is nested too deep") from err
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise Malformed(
            "not_json", f"the payload is not valid UTF-8 JSON ({excerpt(str(err), 120)})"
        ) from err


def _where(loc: tuple[int | str, ...]) -> str:
    return excerpt(".".join(str(p) for p in loc) or "decision", 80)


def _reviewer_of(value: dict[str, Any]) -> str | None:
    reviewer = value.get("reviewer")
    return excerpt(reviewer) if isinstance(reviewer, str) and reviewer else None
