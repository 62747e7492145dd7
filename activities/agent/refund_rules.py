"""A deterministic rules-based refund agent: look up, refund, email, close.

It reads the subject (`order_id`, `amount`, `customer_message`, `sentiment`) and the history of
steps, and proposes the next tool call with a rationale, sources and a confidence a reviewer
can weigh. No model, no randomness: the same input gives the same proposal.
"""

import re
from typing import Any

from activities.tools.refund import CLOSE_TICKET, EMAIL_CUSTOMER, ISSUE_REFUND, LOOKUP_ORDER
from hitl.contracts import (
    AgentTurn,
    ProposedAction,
    ProposeInput,
    ReviseInput,
    RiskSignals,
    StepRecord,
    TurnKind,
)

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


class RefundRulesAgent:
    """Plans refund tasks with fixed rules."""

    async def propose(self, request: ProposeInput) -> AgentTurn:
        """Propose the next refund step."""
        last = request.history[-1] if request.history else None
        if request.closing:
            return AgentTurn(kind=TurnKind.DONE, message=_closing(last))
        done = {h.tool: h for h in request.history if h.status == "executed"}
        if last is not None and last.status in ("failed", "blocked", "rejected"):
            return AgentTurn(kind=TurnKind.DONE, message=f"stopped after {last.tool}: {last.feedback}")
        if last is not None and last.status == "skipped":
            if last.tool == ISSUE_REFUND:
                return AgentTurn(kind=TurnKind.DONE, message=f"no refund: {last.feedback}")
            done[last.tool] = last
        subject = request.subject
        order_id = str(subject.get("order_id", ""))
        if LOOKUP_ORDER not in done:
            return _turn(
                ProposedAction(
                    step=request.next_step,
                    tool=LOOKUP_ORDER,
                    args={"order_id": order_id},
                    summary=f"Look up order {order_id}",
                    rationale="A refund decision starts from the order record.",
                    sources=[f"ticket message: {subject.get('customer_message', '')!s}"[:200]],
                    confidence=0.99,
                    signals=RiskSignals(reversible=True),
                )
            )
        order = done[LOOKUP_ORDER].output
        if ISSUE_REFUND not in done:
            return _refund_turn(request, order)
        if EMAIL_CUSTOMER not in done:
            refund = done[ISSUE_REFUND]
            return _turn(_email(request.next_step, order, refund))
        if CLOSE_TICKET not in done:
            return _turn(
                ProposedAction(
                    step=request.next_step,
                    tool=CLOSE_TICKET,
                    args={"ticket_id": order["ticket_id"], "resolution": "refunded"},
                    summary=f"Close ticket {order['ticket_id']}",
                    rationale="The refund was issued and the customer informed.",
                    confidence=0.97,
                )
            )
        return AgentTurn(kind=TurnKind.DONE, message="refund handled")

    async def revise(self, request: ReviseInput) -> AgentTurn:
        """Apply a reviewer's comment: a number in it becomes the new amount."""
        action = request.action
        match = _NUMBER.search(request.comment)
        if action.tool != ISSUE_REFUND or match is None:
            revised = action.model_copy(
                update={
                    "rationale": f"{action.rationale} Reviewer asked: {request.comment}",
                    "confidence": max(action.confidence - 0.2, 0.0),
                }
            )
            return _turn(revised)
        amount = float(match.group(1))
        args = {**action.args, "amount": amount}
        return _turn(
            action.model_copy(
                update={
                    "args": args,
                    "summary": f"Refund {amount:g} {args.get('currency', 'USD')} "
                    f"on order {args.get('order_id')}",
                    "rationale": f"Revised to {amount:g} as the reviewer asked: {request.comment}",
                    "signals": action.signals.model_copy(update={"amount": amount}),
                }
            )
        )


def _turn(action: ProposedAction) -> AgentTurn:
    return AgentTurn(kind=TurnKind.ACTION, action=action)


_NOT_A_REFUND = re.compile(r"\b(replace|replacement|exchange|no refund|cancel)", re.IGNORECASE)


def _refund_turn(request: ProposeInput, order: dict[str, Any]) -> AgentTurn:
    """Refund, unless the request is ambiguous and nobody has said what the customer wants."""
    subject = request.subject
    answers = [h.feedback for h in request.history if h.status == "clarified" and h.tool == ISSUE_REFUND]
    action = _refund(request.next_step, subject, order)
    if not answers:
        if not subject.get("ambiguous"):
            return _turn(action)
        question = f"Does the customer want a refund of {action.args['amount']:g} or a replacement?"
        signals = action.signals.model_copy(update={"ambiguous_intent": True})
        return _turn(action.model_copy(update={"question": question, "signals": signals, "confidence": 0.55}))
    answer = answers[-1]
    if _NOT_A_REFUND.search(answer):
        return AgentTurn(kind=TurnKind.DONE, message=f"no refund: the reviewer answered {answer!r}")
    match = _NUMBER.search(answer)
    if match is not None:
        amount = float(match.group(1))
        action = action.model_copy(
            update={
                "args": {**action.args, "amount": amount},
                "signals": action.signals.model_copy(update={"amount": amount}),
            }
        )
    rationale = f"{action.rationale} Clarified by a reviewer: {answer}"
    return _turn(
        action.model_copy(update={"rationale": rationale, "sources": [*action.sources, "reviewer answer"]})
    )


def _closing(last: StepRecord | None) -> str:
    if last is None:
        return "nothing was done"
    reason = f": {last.feedback}" if last.feedback else ""
    return f"I stopped after {last.tool} was {last.status}{reason}"


def _refund(step: int, subject: dict[str, Any], order: dict[str, Any]) -> ProposedAction:
    total = float(order["total"])
    left = total - float(order.get("refunded", 0.0))
    asked = float(subject.get("amount", left))
    amount = min(asked, left)
    confidence = 0.95 if asked <= left else 0.6
    sentiment = str(subject.get("sentiment", "neutral"))
    return ProposedAction(
        step=step,
        tool=ISSUE_REFUND,
        args={
            "order_id": order["order_id"],
            "amount": round(amount, 2),
            "currency": order["currency"],
            "reason": str(subject.get("reason", "customer request")),
        },
        summary=f"Refund {amount:g} {order['currency']} on order {order['order_id']}",
        rationale=(
            f"The customer asks for {asked:g}; the order total is {total:g} and {left:g} is left "
            f"to refund. {'The request fits the order.' if asked <= left else 'Capped to what is left.'}"
        ),
        sources=[f"order {order['order_id']} (lookup_order)", "refund policy: refund.toml"],
        confidence=confidence,
        signals=RiskSignals(
            amount=amount,
            currency=order["currency"],
            reversible=True,
            customer_tier=order.get("customer_tier"),
            sentiment=sentiment,
        ),
        alternatives=["refund a partial amount", "offer store credit", "reject the request"],
        recommendation=f"approve the refund of {amount:g}",
    )


def _email(step: int, order: dict[str, Any], refund: StepRecord) -> ProposedAction:
    amount = refund.output.get("amount", refund.args.get("amount"))
    return ProposedAction(
        step=step,
        tool=EMAIL_CUSTOMER,
        args={
            "order_id": order["order_id"],
            "to": order["customer_email"],
            "subject": f"Your refund for order {order['order_id']}",
            "body": f"We refunded {amount} {order['currency']} to your original payment method.",
        },
        summary=f"Email {order['customer_email']} about the refund",
        rationale="Customers are told when money is on its way.",
        sources=["refund step output"],
        confidence=0.96,
    )
