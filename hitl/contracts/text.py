"""Bounded text: the string types decision fields use, and how a hostile value is recorded.

Every string a reviewer sends is bounded in length and refuses control characters (NUL breaks
PostgreSQL text and jsonb columns) and lone surrogates (they cannot be written as UTF-8). A field
that breaks a rule fails validation with a stable error type, which the gate turns into the
refusal code of the same name:

- `field_too_long`: longer than the field's limit (pydantic's own `string_too_long` maps to it);
- `control_character`: a C0/C1 control character, DEL, or a line break in a one-line field;
- `invalid_unicode`: a lone surrogate (not encodable as UTF-8);
- `too_deep` / `too_large`: a free-form JSON value (a patch) nested or sized beyond its limit.

`excerpt()` is how a value that may be hostile enters a refusal record or the audit trail: short,
clean values as they are, anything else as its length, SHA-256 and an escaped prefix.
Pure: importable from workflow code.
"""

import hashlib
import json
import math
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

NAME_MAX = 200
"""Reviewer names, request, decision and reason-code ids."""
ID_MAX = 1000
"""Workflow ids (Temporal's own default limit)."""
TOKEN_MAX = 8192
"""Signatures and tokens."""
TEXT_MAX = 4000
"""Comments and answers."""
JSON_MAX_BYTES = 16_384
"""A patch, as compact JSON."""
JSON_MAX_DEPTH = 8
"""A patch's nesting (tool arguments are flat or one level deep)."""
EXCERPT_PREFIX = 32
"""Characters of a hostile value kept (escaped) in a refusal record."""

MULTILINE = frozenset("\n\r\t")


def text_problem(value: str, multiline: bool) -> PydanticCustomError | None:
    """Why `value` may not be stored as text, or None when it may."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return PydanticCustomError(
                "invalid_unicode", "contains a lone surrogate (U+{code})", {"code": f"{ord(char):04X}"}
            )
        if category == "Cc" and not (multiline and char in MULTILINE):
            return PydanticCustomError(
                "control_character", "contains the control character U+{code}", {"code": f"{ord(char):04X}"}
            )
    return None


def _one_line(value: str) -> str:
    problem = text_problem(value, multiline=False)
    if problem is not None:
        raise problem
    return value


def _free_text(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise problem
    return value


Name = Annotated[str, StringConstraints(max_length=NAME_MAX), AfterValidator(_one_line)]
"""A one-line identifier or name: at most `NAME_MAX` characters, no control characters."""
LongName = Annotated[str, StringConstraints(max_length=ID_MAX), AfterValidator(_one_line)]
"""A one-line identifier that may be as long as a workflow id."""
Token = Annotated[str, StringConstraints(max_length=TOKEN_MAX), AfterValidator(_one_line)]
"""A one-line signature, key or token."""
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_free_text)]
"""Free text (comment, answer): at most `TEXT_MAX` characters; tabs and line breaks allowed."""


def _bounded_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise PydanticCustomError(
                "too_deep", "nested deeper than {limit} levels", {"limit": JSON_MAX_DEPTH}
            )
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            problem = text_problem(item, multiline=True)
            if problem is not None:
                raise problem
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > JSON_MAX_BYTES:
        raise PydanticCustomError(
            "too_large", "{size} bytes of JSON, over {limit}", {"size": size, "limit": JSON_MAX_BYTES}
        )
    return value


BoundedJson = Annotated[dict[str, Any] | None, AfterValidator(_bounded_json)]
"""A free-form JSON object (a patch): clean strings, at most `JSON_MAX_DEPTH` deep and
`JSON_MAX_BYTES` as JSON."""


def escape(value: str) -> str:
    """`value` with control characters and lone surrogates written as `\\uXXXX` escapes."""
    if text_problem(value, multiline=False) is None:
        return value
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)


def excerpt(value: str, limit: int = NAME_MAX) -> str:
    """`value` itself when it is clean and at most `limit` characters; otherwise a bounded,
    printable stand-in: `<escaped prefix>… (N chars, sha256 HEX)`."""
    if len(value) <= limit and text_problem(value, multiline=False) is None:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{escape(value[:EXCERPT_PREFIX])}… ({len(value)} chars, sha256 {digest})"


def scrub(value: Any) -> Any:
    """A JSON value PostgreSQL can store: strings made storable (`excerpt` with the text limit),
    dict keys too, and floats that are not finite written as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        clean = len(value) <= TEXT_MAX and text_problem(value, multiline=True) is None
        return value if clean else excerpt(value, TEXT_MAX)
    if isinstance(value, dict):
        return {excerpt(str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value
