"""What the system established about a proposed action (`Facts`), as opposed to what the agent
claims about it (`ProposedAction.signals` and `confidence`).

Facts are gathered by an activity (so they are in workflow history) from records the agent does
not write: the task's subject and the records it names (for a refund, the order and its
customer), the arguments as the tool will run them, the database's spend and precedents, and a
sentiment classifier that is not the acting agent. `evaluate()` takes facts and claims apart:
a verdict may be relaxed by a fact, never by a claim.
"""

from typing import Any

from pydantic import Field

from hitl.contracts.actions import ProposedAction
from hitl.contracts.base import Contract


class Binding(Contract):
    """One argument a tool declares bound to its task, and whether the proposed value matches."""

    arg: str
    """The argument, e.g. `to`."""
    task_fact: str
    """The task fact it must equal, e.g. `customer_email` (the customer on file)."""
    expected: Any = None
    """The task's value (None: the task has no such fact, so the binding cannot hold)."""
    actual: Any = None
    """The value the tool would run with."""
    holds: bool = False

    def describe(self) -> str:
        """One line for reasons and cards."""
        if self.holds:
            return f"{self.arg} = {self.actual!r} is the task's {self.task_fact}"
        if self.expected is None:
            return f"{self.arg} = {self.actual!r}: the task has no {self.task_fact} on file"
        return f"{self.arg} = {self.actual!r} is not the task's {self.task_fact} ({self.expected!r})"


class BudgetUse(Contract):
    """What a budget allows, what is spent in its scope and window, and this action's share."""

    budget: str
    """The budget's name in the policy (`[budgets.<name>]`)."""
    scope: str
    """What it counts over, e.g. `task refund-7` or `customer kim@example.com`."""
    window_seconds: int | None = None
    """How far back spend counts (None: the whole task)."""
    currency: str | None = None
    """Currency of `max_amount` and the amounts counted."""
    max_amount: float | None = None
    max_count: int | None = None
    spent_amount: float = 0.0
    spent_count: int = 0
    amount: float = 0.0
    """This action's amount in the budget's currency (0 when it moves no money)."""
    known: bool = True
    """False when the spend could not be read, or this action's amount cannot be compared (another
    currency): the budget cannot vouch for the action."""

    @property
    def crossed(self) -> bool:
        """Whether this action would take the spend beyond the budget (or cannot be checked)."""
        if not self.known:
            return True
        over_amount = self.max_amount is not None and self.spent_amount + self.amount > self.max_amount + 1e-9
        over_count = self.max_count is not None and self.spent_count + 1 > self.max_count
        return over_amount or over_count

    def describe(self) -> str:
        """One line for reasons and cards: the budget, what is spent, and this action."""
        if not self.known:
            return f"budget {self.budget} ({self.scope}): spend cannot be checked for this action"
        window = f", last {_duration(self.window_seconds)}" if self.window_seconds else ""
        parts = []
        if self.max_amount is not None:
            unit = f" {self.currency}" if self.currency else ""
            parts.append(
                f"{self.spent_amount:g} of {self.max_amount:g}{unit} spent, this action {self.amount:g}"
            )
        if self.max_count is not None:
            parts.append(f"{self.spent_count} of {self.max_count} actions")
        return f"budget {self.budget} ({self.scope}{window}): {'; '.join(parts)}"


class Facts(Contract):
    """What the system established about one action before the policy judged it."""

    established: bool = False
    """True when the facts activity ran. False: nothing is known, and nothing may relax a verdict."""
    record: str = ""
    """The record the task's facts were read from, e.g. `order A-1003 (shop.orders)`; empty when
    the task's subject names none or it was not found."""
    customer: str | None = None
    """The customer on file for the task's subject."""
    customer_tier: str | None = None
    """The customer's tier on file."""
    amount: float | None = None
    """The amount as the tool will run it (None: the tool moves no money, or the argument is
    missing)."""
    currency: str | None = None
    """The currency as the tool will run it."""
    amount_left: float | None = None
    """The most this action may move on its subject (for a refund: the order total less what was
    refunded); None when no limit is on record."""
    bindings: list[Binding] = Field(default_factory=list)
    budgets: list[BudgetUse] = Field(default_factory=list)
    novel: bool | None = None
    """True when no human approved this action type for this task kind and subject; None when the
    policy does not ask."""
    sentiment: str | None = None
    """The customer's sentiment as a classifier (not the acting agent) read it; None without a
    customer message."""
    sentiment_source: str = ""
    """Which classifier read it, e.g. `keywords` or `model gpt-4o-mini`."""
    problems: list[str] = Field(default_factory=list)
    """What could not be established, in words (shown on the card)."""

    def failed_bindings(self) -> list[Binding]:
        """Bindings that do not hold."""
        return [b for b in self.bindings if not b.holds]

    def lines(self) -> list[str]:
        """The facts, one per line, for context cards and `hitl policy explain`."""
        if not self.established:
            return ["none established: nothing relaxes the verdict", *self.problems]
        money = f"{self.amount:g} {self.currency or ''}".rstrip() if self.amount is not None else None
        found = [
            ("record", self.record or None),
            ("customer", self.customer),
            ("customer tier", self.customer_tier),
            ("amount", money),
            ("left on the record", f"{self.amount_left:g}" if self.amount_left is not None else None),
            ("sentiment", f"{self.sentiment} ({self.sentiment_source})" if self.sentiment else None),
            (
                "novel",
                {True: "no precedent", False: "has precedent"}.get(self.novel)
                if self.novel is not None
                else None,
            ),
        ]
        out = [f"{name}: {value}" for name, value in found if value is not None]
        out += [("bound: " if b.holds else "NOT bound: ") + b.describe() for b in self.bindings]
        out += [use.describe() for use in self.budgets]
        return out + [f"problem: {p}" for p in self.problems]


def claim_lines(action: ProposedAction) -> list[str]:
    """What the agent claims about its action, one per line (claims only ever tighten a verdict)."""
    signals = action.signals
    claimed = [
        ("confidence", f"{action.confidence:g}"),
        (
            "amount",
            f"{signals.amount:g} {signals.currency or ''}".rstrip() if signals.amount is not None else None,
        ),
        ("customer tier", signals.customer_tier),
        ("sentiment", signals.sentiment),
        ("novel", "yes" if signals.novelty else None),
        ("ambiguous intent", "yes" if signals.ambiguous_intent else None),
        ("policy conflict", "yes" if signals.policy_conflict else None),
    ]
    return [f"{name}: {value}" for name, value in claimed if value is not None]


def _duration(seconds: int) -> str:
    """`24h`, `7d`, `30m` or `90s`: days from two days on."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0 and seconds >= (2 * size if unit == "d" else size):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
