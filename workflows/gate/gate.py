"""`HumanGate`: one review request at a time or several, each waited on durably.

The gate opens a request with a deterministic id, publishes it (search attributes, current
details), notifies the current tier without blocking, and waits on the tier's SLA timer.
When a timer fires it escalates; when the ladder is exhausted it applies the fallback. Decisions
arrive through `submit()`, which the workflow's signal and update handlers share.
All I/O happens in activities.
"""

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AuditKind,
        FeedbackRecord,
        GateResolution,
        Outcome,
        ProposedAction,
        RequestKind,
        RequestState,
        ReviewRequest,
        Verdict,
    )

from workflows.gate.core import SYSTEM
from workflows.gate.decisions import DecisionDesk
from workflows.gate.ladder import SlaLadder
from workflows.gate.validation import OpenRequest


class HumanGate(DecisionDesk, SlaLadder):
    """A durable human gate a workflow asks through `await gate.ask(...)`."""

    async def ask(
        self,
        kind: RequestKind,
        action: ProposedAction,
        verdict: Verdict,
        allowed: list[Outcome],
        args_model: type[BaseModel] | None = None,
    ) -> GateResolution:
        """Open a request and wait until a human (or the fallback) settles it."""
        entry = self._open(kind, action, verdict, allowed, args_model)
        try:
            with self.audit.waiting():
                await self._wait(entry)
        except asyncio.CancelledError:
            self._close(entry, RequestState.CANCELLED)
            request = entry.request
            self.audit.record(
                AuditKind.REQUEST_WITHDRAWN,
                SYSTEM,
                request_id=request.request_id,
                kind=request.kind.value,
                tool=request.action.tool,
            )
            raise
        resolution = self._resolution(entry)
        self.audit.feedback(self._feedback(entry, resolution))
        self.notifier.outcome(entry.request, resolution, self.policy)
        return resolution

    def _feedback(self, entry: OpenRequest, resolution: GateResolution) -> FeedbackRecord:
        request = entry.request
        final_args: dict[str, Any] | None = None
        if resolution.outcome is Outcome.MODIFY:
            final_args = resolution.args
        elif resolution.outcome is Outcome.APPROVE:
            final_args = request.action.args
        return FeedbackRecord(
            feedback_key=f"{workflow.info().workflow_id}/{request.request_id}",
            task_id=self.task_id,
            task_kind=self.task_kind,
            request_id=request.request_id,
            request_kind=request.kind.value,
            step=request.action.step,
            action_type=request.action.tool,
            outcome=resolution.outcome.value,
            proposed_args=request.action.args,
            final_args=final_args,
            reason_code=resolution.reason_code,
            comment=resolution.comment,
            confidence=request.action.confidence,
            reviewers=resolution.decided_by,
            by_fallback=resolution.by_fallback,
            escalations=request.tier,
            opened_at=request.opened_at,
            decided_at=workflow.now(),
            policy_hash=self.policy_hash,
        )

    def _open(
        self,
        kind: RequestKind,
        action: ProposedAction,
        verdict: Verdict,
        allowed: list[Outcome],
        args_model: type[BaseModel] | None,
    ) -> OpenRequest:
        request_id = self._next_request_id(kind, action.step)
        if verdict.quorum > 1:
            # A patch under a quorum would change what earlier approvers signed off.
            allowed = [o for o in allowed if o is not Outcome.MODIFY]
        rung = verdict.ladder[0] if verdict.ladder else None
        now = workflow.now()
        request = ReviewRequest(
            request_id=request_id,
            kind=kind,
            action=action,
            verdict=verdict,
            card="",
            allowed_outcomes=allowed,
            opened_at=now,
            deadline=now + timedelta(seconds=_first_wait(kind, verdict)) if rung else None,
            tier=0,
            assignees=[rung.group] if rung else [],
        )
        entry = OpenRequest(request=self._with_card(request), args_model=args_model)
        self.requests[request_id] = entry
        self.audit.record(
            AuditKind.GATED,
            "policy",
            request_id=request_id,
            kind=kind.value,
            step=action.step,
            tool=action.tool,
            assignees=request.assignees,
            deadline=request.deadline.isoformat() if request.deadline else None,
            allowed=[o.value for o in allowed],
        )
        self.notifier.new_request(entry.request, self.policy)
        self.publish()
        return entry

    def _next_request_id(self, kind: RequestKind, step: int) -> str:
        base = f"{kind.value}-{step}"
        if base not in self.requests:
            return base
        n = 2
        while f"{base}.{n}" in self.requests:
            n += 1
        return f"{base}.{n}"

    def _resolution(self, entry: OpenRequest) -> GateResolution:
        request = entry.request
        outcome = entry.resolution_outcome or Outcome.REJECT
        if entry.fallback_fired:
            window = request.kind is RequestKind.POST_REVIEW
            return GateResolution(
                request_id=request.request_id,
                outcome=outcome,
                decided_by=[SYSTEM],
                comment="the review window closed; the action stays"
                if window
                else f"no decision before the escalation ladder ran out ({outcome.value})",
                reason_code="window_closed" if window else "sla_fallback",
                by_fallback=True,
            )
        decisions = [d.decision for d in self.decisions if d.request_id == request.request_id]
        settling = decisions[-1]
        args: dict[str, Any] | None = None
        if outcome is Outcome.MODIFY:
            args = entry.patched_args
        return GateResolution(
            request_id=request.request_id,
            outcome=outcome,
            decided_by=[d.reviewer for d in decisions],
            decisions=decisions,
            args=args,
            comment=settling.comment,
            answer=settling.answer,
            reason_code=settling.reason_code,
        )


def _first_wait(kind: RequestKind, verdict: Verdict) -> int:
    """Seconds until the first deadline: the review window for post-hoc reviews, else rung 1's SLA."""
    if kind is RequestKind.POST_REVIEW:
        return verdict.review_window_seconds
    return verdict.ladder[0].sla_seconds
