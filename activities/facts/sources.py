"""Where a task's facts come from: its subject, and the record the subject names.

A `RecordSource` reads the record behind a task's subject (for a refund task, the order and its
customer) and the spend a budget counts over a subject scope. Task kinds without one use the
subject alone (`SUBJECT_ONLY`): bindings then compare arguments with the subject's own fields,
and budgets over a subject scope cannot be read (so they gate).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from policies.budgets import Budget, Spend


@dataclass(frozen=True)
class SubjectRecord:
    """What a record says about the task's subject."""

    name: str
    """What was read, e.g. `order A-1003 (shop.orders)`."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Task facts the record establishes (they win over the subject's own fields of the same name)."""
    customer: str | None = None
    customer_tier: str | None = None
    amount_left: float | None = None
    """The most a money-moving action may move on the subject."""


class RecordSource(Protocol):
    """Reads the record behind a task's subject and the spend over a subject scope."""

    async def record(self, conn: asyncpg.Connection, subject: dict[str, Any]) -> SubjectRecord | None:
        """The record the subject names, or None when it names none or there is no such record."""
        ...

    async def spent(self, conn: asyncpg.Connection, budget: Budget, scope: str, value: Any) -> Spend | None:
        """What `budget.tools` spent where the task fact `scope` equals `value`, within the
        budget's window; None when this source cannot count it."""
        ...


class SubjectOnly:
    """No record behind the subject: the subject's fields are the task's facts."""

    async def record(self, conn: asyncpg.Connection, subject: dict[str, Any]) -> SubjectRecord | None:
        """Nothing to read."""
        del conn, subject
        return None

    async def spent(self, conn: asyncpg.Connection, budget: Budget, scope: str, value: Any) -> Spend | None:
        """Nothing to count."""
        del conn, budget, scope, value
        return None


SUBJECT_ONLY = SubjectOnly()
