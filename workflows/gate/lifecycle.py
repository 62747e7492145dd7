"""The lifecycle of one review request: one enum of states, one pure transition function.

```
            approval (quorum short), escalation            approval (quorum short)
               ┌────┐                                         ┌────┐
               ▼    │                 hold                    ▼    │
 opened ──►  OPEN ──┴──────────────────────────────────────► HOLDING
 (a timer)    │ │ │                                          │    │
              │ │ └── decision ──► DECIDED ◄── decision ─────┘    │
              │ └──── fallback ──► TIMED_OUT                       │
              └────── withdrawal ► CANCELLED ◄── withdrawal ───────┘
```

A request opened without a ladder starts in HOLDING (no timer). DECIDED, TIMED_OUT and CANCELLED
are final: every event on them is refused, so a timer that fires in the same workflow task as
the decision that closed the request changes nothing (the decision wins), and a decision after
the fallback is refused as `after_fallback`. Pure: no Temporal, no I/O.
"""

from dataclasses import dataclass
from enum import StrEnum

from hitl.contracts.review import RequestState


class Event(StrEnum):
    """What can happen to a request."""

    APPROVAL = "approval"
    """An approval that leaves a quorum short: the request stays where it is."""
    DECISION = "decision"
    """A decision that settles the request (the last approval of a quorum, a reject, ...)."""
    ESCALATION = "escalation"
    """The current tier's SLA ran out and a higher tier takes over."""
    HOLD = "hold"
    """The ladder ran out and the fallback is `hold`: wait for a human without a timer."""
    FALLBACK = "fallback"
    """The ladder ran out (or a review window closed) and the fallback settles the request."""
    WITHDRAWAL = "withdrawal"
    """The workflow withdrew the request (cancellation, wind-down)."""


OPEN_STATES = frozenset({RequestState.OPEN, RequestState.HOLDING})
"""States in which a request waits for a decision."""

TIMER_EVENTS = frozenset({Event.ESCALATION, Event.HOLD, Event.FALLBACK})
"""Events only a running SLA timer produces."""

_ALLOWED: dict[RequestState, dict[Event, RequestState]] = {
    RequestState.OPEN: {
        Event.APPROVAL: RequestState.OPEN,
        Event.DECISION: RequestState.DECIDED,
        Event.ESCALATION: RequestState.OPEN,
        Event.HOLD: RequestState.HOLDING,
        Event.FALLBACK: RequestState.TIMED_OUT,
        Event.WITHDRAWAL: RequestState.CANCELLED,
    },
    RequestState.HOLDING: {
        Event.APPROVAL: RequestState.HOLDING,
        Event.DECISION: RequestState.DECIDED,
        Event.WITHDRAWAL: RequestState.CANCELLED,
    },
}


@dataclass(frozen=True)
class Transition:
    """The answer of `transition`: the next state, or why the event is refused."""

    state: RequestState
    """The next state (the unchanged state when refused)."""
    code: str = ""
    """Refusal code: `after_fallback`, `request_closed` or `no_timer`; empty when allowed."""

    @property
    def refused(self) -> bool:
        return bool(self.code)


def transition(state: RequestState, event: Event) -> Transition:
    """Return the state `event` leads to from `state`, or a refusal code.

    Refusals: any event on a request its fallback settled is `after_fallback`; any event on a
    decided or cancelled request is `request_closed`; a timer event on a holding request (which
    has no timer) is `no_timer`.
    """
    allowed = _ALLOWED.get(state)
    if allowed is None:
        return Transition(state, "after_fallback" if state is RequestState.TIMED_OUT else "request_closed")
    target = allowed.get(event)
    if target is None:
        return Transition(state, "no_timer")
    return Transition(target)


def initial_state(has_deadline: bool) -> RequestState:
    """A request opens OPEN when a timer runs for it, HOLDING when none does."""
    return RequestState.OPEN if has_deadline else RequestState.HOLDING
