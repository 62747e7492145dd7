"""Turn whatever arrived as a `decide` signal into a `Decision`, or a refusal with its reason.

The Temporal CLI and Web UI can send anything: no argument, several, a `binary/plain` payload,
JSON of the wrong shape. The SDK would drop a badly shaped payload silently or wedge the
workflow on a missing one, so the handler takes its arguments untyped and this module checks
them. Pure.
"""

from typing import Any

from pydantic import ValidationError

from hitl.contracts.review import Decision

EXAMPLE = '{"outcome":"approve","reviewer":"YOUR_ID"}'


class Malformed(Exception):
    """The payload is not a decision. `code` is stable, `message` says what to send instead."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_decision(args: tuple[Any, ...]) -> Decision:
    """Validate the arguments of a `decide` signal.

    Raises:
        Malformed: with code `missing_payload`, `too_many_arguments`, `not_json`,
            `not_an_object` or `invalid_decision`.
    """
    if not args:
        raise Malformed("missing_payload", f"the signal carried no decision; send --input '{EXAMPLE}'")
    if len(args) > 1:
        raise Malformed("too_many_arguments", f"expected one decision, got {len(args)} arguments")
    value = args[0]
    if isinstance(value, bytes | bytearray):
        raise Malformed(
            "not_json",
            f"the payload is binary ({len(value)} bytes), not JSON; send --input '{EXAMPLE}'",
        )
    if not isinstance(value, dict):
        raise Malformed("not_an_object", f"expected a JSON object like {EXAMPLE}, got {type(value).__name__}")
    try:
        return Decision.model_validate(value)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'decision'}: {e['msg']}" for e in err.errors()
        )
        raise Malformed("invalid_decision", problems) from err


def reviewer_hint(args: tuple[Any, ...]) -> str | None:
    """Best guess of who sent a malformed decision, for the refusal record."""
    if len(args) == 1 and isinstance(args[0], dict):
        reviewer = args[0].get("reviewer")
        if isinstance(reviewer, str) and reviewer:
            return reviewer[:200]
    return None
