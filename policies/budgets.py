"""Budgets (`[budgets.<name>]` in a policy file): how much an agent may move, and how often, per
task or per subject over a window, whatever each single action looks like.

```toml
[budgets.refunds_per_customer]
tools = ["issue_refund"]
per = "customer"          # "task", or a fact of the task's subject: "customer", "order_id", ...
window = "24h"            # spend of the last 24 hours, read from the database
max_amount = 300          # in `currency`
max_count = 3
currency = "USD"
mode = "approve"          # what the action that would cross the budget gets
```

The spend is a fact: the task's own executed steps (`per = "task"`) or the database (anything
else), established by the facts activity and pinned in history. Twelve refunds of 99 under a
threshold of 100 cross a budget of 300 at the fourth.
"""

from typing import Any

from pydantic import Field, model_validator

from hitl.contracts.base import Contract
from hitl.contracts.verdict import Mode
from policies.durations import Seconds

TASK = "task"
"""The scope of a budget counted over one task's own executed steps."""


class Budget(Contract):
    """One budget: the tools it counts, its scope and window, and its limits."""

    tools: list[str] = Field(min_length=1)
    """Tools whose executed actions count, and which it gates."""
    per: str = TASK
    """`task`, or the task fact whose value scopes the spend (e.g. `customer`)."""
    window: Seconds | None = None
    """How far back spend counts for a subject scope (None: all time); ignored for `task`."""
    max_amount: float | None = Field(default=None, ge=0)
    max_count: int | None = Field(default=None, ge=1)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    """Currency of `max_amount`; an action in another currency cannot be counted, so it is gated."""
    mode: Mode = Mode.APPROVE
    """Mode of an action that would cross the budget."""

    @model_validator(mode="after")
    def _has_a_limit(self) -> "Budget":
        if self.max_amount is None and self.max_count is None:
            raise ValueError("a budget needs max_amount, max_count or both")
        if self.mode in (Mode.AUTO, Mode.AUTO_THEN_REVIEW):
            raise ValueError(
                f"mode {self.mode.value!r} would let the crossing action run: use approve or block"
            )
        return self


class Spend(Contract):
    """Amount and number of actions counted against a budget."""

    amount: float = 0.0
    count: int = 0


def task_spend(
    budget: Budget, executed: list[tuple[str, dict[str, Any]]], amount_args: dict[str, str]
) -> Spend:
    """What a task's own executed, not undone steps spent against `budget`.

    Args:
        budget: The budget.
        executed: `(tool, args)` of each executed step that was not undone.
        amount_args: Per tool, the argument that carries its amount (tools without one count 0).
    """
    amount, count = 0.0, 0
    for tool, args in executed:
        if tool not in budget.tools:
            continue
        count += 1
        value = args.get(amount_args.get(tool, ""))
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount += float(value)
    return Spend(amount=amount, count=count)
