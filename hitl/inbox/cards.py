"""The context card as a page shows it: every part of the gate's card, from the request itself.

The card is built from the `pending` query's request (not from the gate's markdown), so each
part has its place on the page and everything the agent wrote is escaped by the templates.
"""

import json
from dataclasses import dataclass
from typing import Any

from hitl.contracts import Outcome, ReviewRequest
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
        rules=[(r.id, r.text, str(getattr(r, "basis", "") or "")) for r in request.verdict.reasons],
        args=[(k, _value(v)) for k, v in sorted(request.action.args.items())],
        outcomes=[o.value for o in request.allowed_outcomes],
        high_risk=request.verdict.risk_tier in HIGH_RISK,
    )


def facts(request: ReviewRequest) -> list[tuple[str, str]]:
    """What the system established about the action (the verdict's facts where the policy
    recorded them), then the agent's risk signals, labelled as its claims."""
    shown: list[tuple[str, str]] = []
    established = getattr(request.verdict, "facts", None)
    if established is not None:
        dumped = established.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        shown += [(k.replace("_", " "), _value(v)) for k, v in sorted(dumped.items())]
    signals = request.action.signals.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    shown += [(f"{k.replace('_', ' ')} (agent's claim)", _value(v)) for k, v in sorted(signals.items())]
    if request.verdict.required_limit is not None:
        shown.insert(0, ("approval limit needed", f"{request.verdict.required_limit:g}"))
    return shown


def reason_codes() -> list[tuple[str, str]]:
    """(code, meaning) for the reject form."""
    return sorted(REASON_CODES.items())


def needs_confirmation(card: Card, outcome: str) -> bool:
    """Whether `outcome` on this card needs the confirmation step."""
    return card.high_risk and outcome in (Outcome.APPROVE.value, Outcome.MODIFY.value)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
