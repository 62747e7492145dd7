"""The review request's state machine: every allowed transition and every refused one."""

import pytest

from hitl.contracts import RequestState
from workflows.gate.lifecycle import Event, Transition, initial_state, transition

OPEN, HOLDING = RequestState.OPEN, RequestState.HOLDING
DECIDED, TIMED_OUT, CANCELLED = RequestState.DECIDED, RequestState.TIMED_OUT, RequestState.CANCELLED

ALLOWED = [
    (OPEN, Event.APPROVAL, OPEN),
    (OPEN, Event.DECISION, DECIDED),
    (OPEN, Event.ESCALATION, OPEN),
    (OPEN, Event.HOLD, HOLDING),
    (OPEN, Event.FALLBACK, TIMED_OUT),
    (OPEN, Event.WITHDRAWAL, CANCELLED),
    (HOLDING, Event.APPROVAL, HOLDING),
    (HOLDING, Event.DECISION, DECIDED),
    (HOLDING, Event.WITHDRAWAL, CANCELLED),
]
REFUSED = [
    *[(HOLDING, event, "no_timer") for event in (Event.ESCALATION, Event.HOLD, Event.FALLBACK)],
    *[(DECIDED, event, "request_closed") for event in Event],
    *[(CANCELLED, event, "request_closed") for event in Event],
    *[(TIMED_OUT, event, "after_fallback") for event in Event],
]


@pytest.mark.parametrize(("state", "event", "after"), ALLOWED)
def test_allowed_transition(state: RequestState, event: Event, after: RequestState) -> None:
    assert transition(state, event) == Transition(after)


@pytest.mark.parametrize(("state", "event", "code"), REFUSED)
def test_refused_transition_keeps_the_state(state: RequestState, event: Event, code: str) -> None:
    step = transition(state, event)
    assert (step, step.refused) == (Transition(state, code), True)


def test_every_state_and_event_pair_is_covered_exactly_once() -> None:
    pairs = [(s, e) for s, e, _ in ALLOWED] + [(s, e) for s, e, _ in REFUSED]
    assert sorted(pairs) == sorted((s, e) for s in RequestState for e in Event)


def test_a_request_opens_open_with_a_timer_and_holding_without_one() -> None:
    assert (initial_state(True), initial_state(False)) == (OPEN, HOLDING)
