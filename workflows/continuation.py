"""When and where a long task continues as new.

A task continues as new once its run's history passes the thresholds in its input
(`ContinuePolicy`: events or bytes) or the server suggests it, at a safe point: between two
agent steps, or while its main line waits at an approval or question gate (a flood of refused
signals there is what grows the history fastest). Safe means nothing is in flight: no activity
(audit write, notice, revert), every message handler finished. Once a switch is due, background
audit writes stop, and events recorded meanwhile travel in the carry-over and are written by the
next run under their own keys. All I/O happens in activities.
"""

from typing import NoReturn

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts.carry import ContinuePolicy

from workflows import carry
from workflows.post_review import PostReviews
from workflows.task_state import TaskState

MIN_RUN_EVENTS = 50
"""A run continues only after this many events of its own: a carry-over larger than the byte
threshold must not make every new run continue at once, without progress."""


class Continuation:
    """Continues one task as new at a safe point once its history is due."""

    def __init__(self, state: TaskState, reviews: PostReviews, policy: ContinuePolicy) -> None:
        self._state = state
        self._reviews = reviews
        self._policy = policy
        self._start_length = workflow.info().get_current_history_length()
        self._reason = ""

    def due(self) -> str:
        """Why the run should continue (`events`, `bytes`, `suggested`), or '' when it should not."""
        info = workflow.info()
        length = info.get_current_history_length()
        if length - self._start_length < MIN_RUN_EVENTS:
            return ""
        if length >= self._policy.max_events:
            return "events"
        if info.get_current_history_size() >= self._policy.max_bytes:
            return "bytes"
        return "suggested" if info.is_continue_as_new_suggested() else ""

    def quiet(self) -> bool:
        """Nothing is in flight: no audit write, notice or revert, and every handler finished."""
        state = self._state
        return (
            workflow.all_handlers_finished()
            and state.audit.idle
            and state.gate.notifier.idle
            and self._reviews.idle
        )

    def ready(self) -> bool:
        """Due and quiet. Once due, background audit writes stop so the log becomes idle."""
        self._reason = self.due()
        if not self._reason:
            return False
        self._state.audit.hold()
        return self.quiet()

    async def between_steps(self, next_step: int) -> None:
        """Before the agent's step `next_step`: continue as new if the history is due (returns
        at once, without awaiting anything, when it is not)."""
        if not self.due():
            return
        await workflow.wait_condition(self.ready)
        self._go(next_step)

    def go(self) -> NoReturn:
        """Continue as new from the gate the main line waits at (see `GateCore.continuing`)."""
        parked = self._state.parked
        entry = self._state.gate.core.parked
        assert parked is not None and entry is not None, "the main line is not parked at a gate"
        self._state.parked = parked.model_copy(update={"request_id": entry.request.request_id})
        self._go(parked.action.step + 1)

    def _go(self, next_step: int) -> NoReturn:
        taken = carry.snapshot(self._state, next_step, self._reason or self.due())
        workflow.logger.info(
            "task %s continues as new after %d events (%s)",
            self._state.task.task_id,
            taken.history_length,
            taken.reason,
        )
        workflow.continue_as_new(self._state.task.model_copy(update={"carry": taken}))
