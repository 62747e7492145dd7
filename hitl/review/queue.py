"""The review queue as a visibility query, and the order a reviewer should work through it.

Pure functions: `build_query` turns filters into the query the Temporal CLI and Web UI accept
too; `priority` and `order` rank the open requests (earliest deadline first, then risk times
uncertainty).
"""

import re
from datetime import datetime

from hitl.contracts.inbox import InboxEntry, InboxFilter

WAITING = 'HitlStatus = "waiting" AND ExecutionStatus = "Running"'
"""The gate sets `HitlStatus` to `waiting` while a request is open (workflows.gate.core)."""

RISK_WEIGHT: dict[str, float] = {
    "read_only": 1.0,
    "low_risk_write": 2.0,
    "high_risk_write": 4.0,
    "irreversible": 8.0,
}
"""How much worse a wrong decision is, per risk tier; unknown tiers weigh as high risk."""

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:@/-]+$")


class QueryValueError(ValueError):
    """A filter value that cannot be put into a visibility query safely."""


def quoted(value: str) -> str:
    """Return `value` as a visibility-query string literal, refusing quote-breaking input."""
    if not _SAFE_VALUE.match(value):
        raise QueryValueError(f"{value!r} is not a valid filter value (letters, digits, _ . : @ / - only)")
    return f'"{value}"'


def build_query(filters: InboxFilter, now: datetime) -> str:
    """The visibility query for the open requests that match `filters`.

    Args:
        filters: What to narrow the queue to.
        now: The current time, for `overdue` (timezone-aware).
    """
    clauses = [WAITING]
    if filters.group:
        clauses.append(f"HitlAssignees = {quoted(filters.group)}")
    if filters.tier is not None:
        clauses.append(f"HitlTier = {filters.tier}")
    if filters.risk:
        clauses.append(f"HitlRiskTier = {quoted(filters.risk)}")
    if filters.action:
        clauses.append(f"HitlActionType = {quoted(filters.action)}")
    if filters.overdue:
        clauses.append(f'HitlDeadline < "{now.isoformat()}"')
    return " AND ".join(clauses)


def waiting_and(user_query: str) -> str:
    """Restrict a reviewer's own query to open requests (a batch must never touch closed tasks).

    Raises:
        ValueError: The query is empty, has an `ORDER BY`, or has parentheses that do not pair
            up outside quotes (which could escape the restriction: `a") OR ("b`).
    """
    if not user_query.strip():
        raise ValueError(
            "is empty: name the requests to decide (for all waiting ones, say so: HitlTier >= 0)"
        )
    depth = 0
    quote = ""
    for char in user_query:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                break
    if depth != 0 or quote:
        raise ValueError("has unbalanced parentheses or quotes")
    if "order by" in " ".join(user_query.lower().split()):
        raise ValueError("may not have ORDER BY")
    return f"({user_query}) AND {WAITING}"


def priority(risk_tier: str, confidence: float | None, quorum: int = 1) -> float:
    """Risk weight times (1 + half the uncertainty), times the approvals a quorum needs.

    The risk tier dominates: an irreversible action the agent is sure of still ranks above any
    low-risk one, and a two-person rule above a single approval of the same tier. An unknown
    confidence counts as full uncertainty.
    """
    uncertainty = 1.0 - (confidence if confidence is not None else 0.0)
    weight = RISK_WEIGHT.get(risk_tier, RISK_WEIGHT["high_risk_write"])
    return round(weight * (1.0 + uncertainty / 2) * max(quorum, 1), 4)


def matches(entry: InboxEntry, filters: InboxFilter) -> bool:
    """Whether one request (not only its workflow's leading request) passes the filters."""
    return (
        (filters.group is None or filters.group in entry.assignees)
        and (filters.tier is None or filters.tier == entry.tier)
        and (filters.risk is None or filters.risk == entry.risk_tier)
        and (filters.action is None or filters.action == entry.tool)
        and (not filters.overdue or entry.overdue)
    )


def order(entries: list[InboxEntry], by: str = "deadline") -> list[InboxEntry]:
    """Sort the queue: by `deadline` (earliest first, no deadline last; ties by priority) or by
    `priority` (highest first; ties by deadline)."""

    def deadline_key(entry: InboxEntry) -> tuple[int, float]:
        return (0, entry.deadline.timestamp()) if entry.deadline else (1, 0.0)

    if by == "priority":
        return sorted(entries, key=lambda e: (-e.priority, deadline_key(e), e.workflow_id, e.request_id))
    return sorted(entries, key=lambda e: (deadline_key(e), -e.priority, e.workflow_id, e.request_id))
