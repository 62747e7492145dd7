"""The context card as a page shows it: every part of the gate's card, from the request itself.

The card is built from the `pending` query's request (not from the gate's markdown), so each
part has its place on the page and everything the agent wrote is escaped by the templates.
"""

import json
from dataclasses import dataclass
from typing import Any

from hitl.contracts import Outcome, ReviewRequest
from hitl.contracts.facts import claim_lines
from hitl.contracts.verdict import RiskTier
from hitl.inbox.reading import Item
from hitl.reason_codes import REASON_CODES

HIGH_RISK = (RiskTier.HIGH, RiskTier.IRREVERSIBLE)
"""Approving (or modifying) an action of these tiers asks for a confirmation first."""


@dataclass(frozen=True)
class Card:
    """What the card page shows about one request."""

    item: Item
    facts: list[tuple[str, str]]
    rules: list[tuple[str, str, str]]
    """(rule id, what it says, what fired it)."""
    args: list[tuple[str, str]]
    outcomes: list[str]
    high_risk: bool

    @property
    def request(self) -> ReviewRequest:
        return self.item.queued.request


def card_of(item: Item) -> Card:
    """The card of `item`."""
    request = item.queued.request
    return Card(
        item=item,
        facts=facts(request),
        rules=[(r.id, r.text, r.basis) for r in request.verdict.reasons],
        args=[(k, _value(v)) for k, v in sorted(request.action.args.items())],
        outcomes=[o.value for o in request.allowed_outcomes],
        high_risk=request.verdict.risk_tier in HIGH_RISK,
    )


def facts(request: ReviewRequest) -> list[tuple[str, str]]:
    """What the system established about the action (the verdict's facts, as the gate's card
    words them), then the agent's claims about it, labelled as such."""
    shown: list[tuple[str, str]] = []
    if request.verdict.required_limit is not None:
        shown.append(("approval limit needed", f"{request.verdict.required_limit:g}"))
    if request.verdict.facts is not None:
        shown += [_pair(line) for line in request.verdict.facts.lines()]
    shown += [(f"{name} (agent's claim)", value) for name, value in map(_pair, claim_lines(request.action))]
    return shown


def _pair(line: str) -> tuple[str, str]:
    name, sep, value = line.partition(": ")
    return (name, value) if sep else ("", line)


def reason_codes() -> list[tuple[str, str]]:
    """(code, meaning) for the reject form."""
    return sorted(REASON_CODES.items())


def needs_confirmation(card: Card, outcome: str) -> bool:
    """Whether `outcome` on this card needs the confirmation step."""
    return card.high_risk and outcome in (Outcome.APPROVE.value, Outcome.MODIFY.value)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
