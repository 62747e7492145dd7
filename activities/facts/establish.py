"""`establish_facts`: what the system knows about one proposed action, in workflow history.

From the task's subject and the record it names (never from the agent's words): the customer and
their tier, the amount and currency as the tool will run them and what is left on the record,
each bound argument compared with the task fact it must equal, each budget's spend, the
precedent, and the customer's sentiment read by a classifier that is not the agent.
"""

import unicodedata
from typing import Any

import asyncpg
from temporalio import activity

from activities.autonomy.track_record import novel_action_types
from activities.facts.sentiment import Classifier, KeywordSentiment
from activities.facts.sources import SUBJECT_ONLY, RecordSource
from hitl import activity_names
from hitl.contracts import Binding, BudgetUse, Facts
from policies.budgets import TASK, Budget, Spend
from policies.facts import EstablishFactsInput


class FactActivities:
    """Establishes facts with a database pool, a record source per task kind and a classifier."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sources: dict[str, RecordSource],
        classifier: Classifier | None = None,
    ) -> None:
        self._pool = pool
        self._sources = sources
        self._classifier = classifier or KeywordSentiment()

    @activity.defn(name=activity_names.ESTABLISH_FACTS)
    async def establish_facts(self, request: EstablishFactsInput) -> Facts:
        """Establish the facts of one action. A database that is down fails the attempt and
        Temporal retries it; nothing here is taken from the agent."""
        source = self._sources.get(request.task_kind, SUBJECT_ONLY)
        problems: list[str] = []
        async with self._pool.acquire() as conn:
            record = await source.record(conn, request.subject)
            known = {**_plain(request.subject), **(record.fields if record is not None else {})}
            amount, currency = _money(request)
            budgets = [
                await _budget_use(conn, source, request, name, budget, known, amount, currency)
                for name, budget in sorted(request.budgets.items())
            ]
            novel = None
            if request.novelty_subject is not None:
                scope = {f: request.subject[f] for f in request.novelty_subject if f in request.subject}
                novel = bool(await novel_action_types(conn, request.task_kind, [request.tool], scope))
        if record is None and source is not SUBJECT_ONLY:
            problems.append(f"no record on file for the task's subject {_plain(request.subject)}"[:300])
        sentiment, sentiment_source = None, ""
        message = request.subject.get("customer_message")
        if isinstance(message, str) and message.strip():
            reading = await self._classifier.classify(message)
            sentiment, sentiment_source = reading.label, reading.source
            if reading.problem:
                problems.append(reading.problem)
        return Facts(
            established=True,
            record=record.name if record is not None else "",
            customer=record.customer if record is not None else None,
            # A tier in the subject is the requesting service's word; the record's is the fact.
            customer_tier=record.customer_tier if record is not None else None,
            amount=amount,
            currency=currency,
            amount_left=record.amount_left if record is not None and amount is not None else None,
            bindings=[
                _binding(arg, fact, request.args.get(arg), known)
                for arg, fact in sorted(request.binds.items())
            ],
            budgets=budgets,
            novel=novel,
            sentiment=sentiment,
            sentiment_source=sentiment_source,
            problems=problems,
        )


def _plain(subject: dict[str, Any]) -> dict[str, Any]:
    """The subject's scalar fields: what an argument can be bound to."""
    return {k: v for k, v in subject.items() if isinstance(v, str | int | float | bool) or v is None}


def _money(request: EstablishFactsInput) -> tuple[float | None, str | None]:
    amount = request.args.get(request.amount_arg) if request.amount_arg else None
    currency = request.args.get(request.currency_arg) if request.currency_arg else None
    number = float(amount) if isinstance(amount, int | float) and not isinstance(amount, bool) else None
    return number, currency if isinstance(currency, str) else None


def same(a: Any, b: Any) -> bool:
    """Whether two values are the same task fact: text compared normalized (NFKC, casefold,
    trimmed), so `Kim@Example.com ` is the customer on file; anything else compared exactly."""
    if isinstance(a, str) and isinstance(b, str):
        return _norm(a) == _norm(b)
    return type(a) is type(b) and a == b


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _binding(arg: str, fact: str, actual: Any, known: dict[str, Any]) -> Binding:
    expected = known.get(fact)
    holds = expected is not None and same(actual, expected)
    return Binding(arg=arg, task_fact=fact, expected=expected, actual=actual, holds=holds)


async def _budget_use(
    conn: asyncpg.Connection,
    source: RecordSource,
    request: EstablishFactsInput,
    name: str,
    budget: Budget,
    known: dict[str, Any],
    amount: float | None,
    currency: str | None,
) -> BudgetUse:
    comparable = budget.currency is None or amount is None or currency == budget.currency
    spend: Spend | None
    if budget.per == TASK:
        scope, spend = f"task {request.task_id}", request.task_spent.get(name, Spend())
    else:
        value = known.get(budget.per)
        scope = f"{budget.per} {value}"
        spend = await source.spent(conn, budget, budget.per, value) if value is not None else None
    return BudgetUse(
        budget=name,
        scope=scope,
        window_seconds=budget.window if budget.per != TASK else None,
        currency=budget.currency,
        max_amount=budget.max_amount,
        max_count=budget.max_count,
        spent_amount=spend.amount if spend is not None else 0.0,
        spent_count=spend.count if spend is not None else 0,
        amount=amount or 0.0,
        known=spend is not None and comparable,
    )
