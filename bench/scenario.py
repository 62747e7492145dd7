"""One way of getting through a set of review requests, as `bench.reviewer_speed` records it."""

from dataclasses import dataclass


@dataclass
class Scenario:
    """How many inputs and seconds a set of requests took."""

    name: str
    requests: int
    commands: int
    """`hitl` commands run (CLI scenarios)."""
    seconds_to_decided: float
    """From the clock's start to the last decision applied."""
    seconds_to_completed: float
    """From the clock's start to every task completed."""
    seconds_per_request: float
    keystrokes: int = 0
    """Keys pressed (browser scenarios; a typed text counts one per character)."""
    clicks: int = 0
    """Mouse clicks (browser scenarios)."""
    clock: str = "notice in the outbox .. decision applied"
    """When the clock starts and stops."""
