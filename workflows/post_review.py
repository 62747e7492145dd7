"""Post-hoc reviews: an action that already ran, opened to a human who may revert it.

Each review waits in the background, so the task goes on; its window closes on a durable timer.
The workflow finishes only after every window is closed or decided. All I/O happens in
activities.
"""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AuditKind,
        Fallback,
        GateResolution,
        Outcome,
        ProposedAction,
        RequestKind,
        StepStatus,
        Verdict,
    )

from workflows.task_state import TaskState
from workflows.tool_runner import ExecutedStep

REVIEW_OUTCOMES = [Outcome.APPROVE, Outcome.REVERT]


class PostReviews:
    """Opens sampled post-hoc reviews and reverts what a reviewer rejects."""

    def __init__(self, state: TaskState) -> None:
        self._state = state
        self._running: list[asyncio.Task[None]] = []
        self._reverting = 0

    @property
    def idle(self) -> bool:
        """No revert is running (open reviews only wait)."""
        return self._reverting == 0

    def open(self, action: ProposedAction, verdict: Verdict, executed: ExecutedStep) -> None:
        """Open a review of an executed step, in the background."""
        self._running.append(asyncio.create_task(self._review(action, verdict, executed)))

    def resume(self, request_id: str, executed: ExecutedStep) -> None:
        """Wait again, in the background, on a review an earlier run of the task opened."""
        self._running.append(asyncio.create_task(self._rejoin(request_id, executed)))

    async def drain(self) -> None:
        """Wait until every review window is closed or decided."""
        if self._running:
            await asyncio.gather(*self._running)

    def cancel_all(self) -> None:
        """Withdraw open reviews (the task is being wound down and undoes everything)."""
        for task in self._running:
            task.cancel()

    async def _review(self, action: ProposedAction, verdict: Verdict, executed: ExecutedStep) -> None:
        window = verdict.model_copy(
            update={
                # Everyone on the ladder may revert; the request waits one window, no escalation.
                # When the window closes without a decision, what ran stays.
                "fallback": Fallback.APPROVE,
                "quorum": 1,
                "required_limit": None,
            }
        )
        try:
            resolution = await self._state.gate.ask(RequestKind.POST_REVIEW, action, window, REVIEW_OUTCOMES)
        except asyncio.CancelledError:
            return
        await self._settled(resolution, executed)

    async def _rejoin(self, request_id: str, executed: ExecutedStep) -> None:
        try:
            resolution = await self._state.gate.rejoin(request_id)
        except asyncio.CancelledError:
            return
        await self._settled(resolution, executed)

    async def _settled(self, resolution: GateResolution, executed: ExecutedStep) -> None:
        if resolution.outcome is not Outcome.REVERT or executed.undone:
            return
        reason = resolution.comment or f"reverted by {', '.join(resolution.decided_by)}"
        self._reverting += 1
        try:
            await self._state.tools.undo(executed, reason, AuditKind.REVERTED)
        finally:
            self._reverting -= 1
        self._state.mark(executed.step, StepStatus.REVERTED, reason)
