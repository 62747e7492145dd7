"""Durations as policy authors write them: `90s`, `15m`, `4h`, `2d`, or plain seconds."""

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")


def parse_duration(value: str | int) -> int:
    """Return the number of seconds a duration denotes.

    Args:
        value: An integer number of seconds, or a string like `4h`.

    Raises:
        ValueError: The value is not a positive duration.
    """
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '4h'")
    if isinstance(value, int):
        seconds = value
    else:
        match = _PATTERN.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration like '90s', '15m', '4h' or '2d'")
        seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Seconds = Annotated[int, BeforeValidator(parse_duration)]
"""A duration field: accepts `4h`, `30m`, or a number of seconds."""
