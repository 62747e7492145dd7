"""`HumanGate`: one review request at a time or several, each waited on durably.

The gate opens a request with a deterministic id, publishes it (search attributes, current
details), notifies the current tier without blocking, and waits on the tier's SLA timer.
When a timer fires it escalates; when the ladder is exhausted it applies the fallback. Decisions
arrive through `submit()`, which the workflow's signal and update handlers share.

The gate is composed of three parts: the shared core (requests, publication, the lifecycle's
`advance`), the decision desk and the SLA ladder. All I/O happens in activities.
"""

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AppliedDecision,
        AuditKind,
        GateResolution,
        Outcome,
        ProposedAction,
        Refusal,
        RequestKind,
        ReviewRequest,
        Verdict,
    )
    from policies.proof import action_digest

from workflows.audit_log import AuditLog
from workflows.gate.core import GateCore
from workflows.gate.decisions import DecisionDesk
from workflows.gate.ladder import SlaLadder
from workflows.gate.lifecycle import Event, initial_state
from workflows.gate.notices import Notifier
from workflows.gate.resolution import SYSTEM, feedback_of, resolution_of
from workflows.gate.validation import OpenRequest


class HumanGate:
    """A durable human gate a workflow asks through `await gate.ask(...)`."""

    def __init__(self, task_id: str, requester: str, audit: AuditLog) -> None:
        self.core = GateCore(task_id, requester, audit)
        self.desk = DecisionDesk(self.core)
        self.ladder = SlaLadder(self.core)
        self.task_id = task_id
        self.notifier: Notifier = self.core.notifier
        self.submit = self.desk.submit
        self.record_refusal = self.desk.record_refusal
        self.configure = self.core.configure
        self.publish = self.core.publish

    @property
    def status(self) -> str:
        """The task's phase shown while no request is open (`running`, then its final status)."""
        return self.core.status

    @status.setter
    def status(self, value: str) -> None:
        self.core.status = value

    @property
    def idle_note(self) -> str:
        """Current details shown while no request is open."""
        return self.core.idle_note

    @idle_note.setter
    def idle_note(self, value: str) -> None:
        self.core.idle_note = value

    @property
    def policy_hash(self) -> str:
        return self.core.policy_hash

    @property
    def open_requests(self) -> list[ReviewRequest]:
        return self.core.open_requests

    @property
    def decisions(self) -> list[AppliedDecision]:
        return self.core.decisions

    @property
    def refusals(self) -> list[Refusal]:
        return self.core.refusals

    @property
    def refusals_total(self) -> int:
        return self.core.refusals_total

    async def ask(
        self,
        kind: RequestKind,
        action: ProposedAction,
        verdict: Verdict,
        allowed: list[Outcome],
        args_model: type[BaseModel] | None = None,
        fixed: frozenset[str] = frozenset(),
        *,
        park: bool = False,
    ) -> GateResolution:
        """Open a request and wait until a human (or the fallback) settles it.

        Args:
            kind: Why a human is asked.
            action: The action the request is about.
            verdict: The policy's verdict on it (ladder, quorum, limits).
            allowed: Outcomes a reviewer may choose.
            args_model: The model a `modify` patch must fit.
            fixed: Arguments a `modify` may not change (the tool declares them).
            park: The task's main line waits here and may continue as new while it does (the
                next run waits on the same request through `rejoin()`).
        """
        entry = self._open(kind, action, verdict, allowed, args_model)
        entry.fixed = fixed
        return await self._wait(entry, park)

    async def rejoin(self, request_id: str, *, park: bool = False) -> GateResolution:
        """Wait on a request an earlier run of the task opened (no new notice: it was sent)."""
        return await self._wait(self.core.requests[request_id], park)

    async def _wait(self, entry: OpenRequest, park: bool) -> GateResolution:
        core = self.core
        if park:
            core.parked = entry
        try:
            with core.audit.waiting():
                await self.ladder.wait(entry)
        except asyncio.CancelledError:
            core.advance(entry, Event.WITHDRAWAL)
            request = entry.request
            core.audit.record(
                AuditKind.REQUEST_WITHDRAWN,
                SYSTEM,
                request_id=request.request_id,
                kind=request.kind.value,
                tool=request.action.tool,
            )
            raise
        finally:
            if park:
                core.parked = None
        resolution = resolution_of(entry, core.decisions)
        core.audit.feedback(
            feedback_of(
                entry,
                resolution,
                workflow_id=workflow.info().workflow_id,
                task_id=core.task_id,
                task_kind=core.task_kind,
                policy_hash=core.policy_hash,
                now=workflow.now(),
            )
        )
        core.notifier.outcome(entry.request, resolution, core.policy)
        return resolution

    def _open(
        self,
        kind: RequestKind,
        action: ProposedAction,
        verdict: Verdict,
        allowed: list[Outcome],
        args_model: type[BaseModel] | None,
    ) -> OpenRequest:
        core = self.core
        request_id = self._next_request_id(kind, action.step)
        if verdict.quorum > 1:
            # A patch under a quorum would change what earlier approvers signed off.
            allowed = [o for o in allowed if o is not Outcome.MODIFY]
        rung = verdict.ladder[0] if verdict.ladder else None
        now = workflow.now()
        deadline = now + timedelta(seconds=_first_wait(kind, verdict)) if rung else None
        request = ReviewRequest(
            request_id=request_id,
            kind=kind,
            action=action,
            verdict=verdict,
            card="",
            allowed_outcomes=allowed,
            opened_at=now,
            deadline=deadline,
            tier=0,
            assignees=[rung.group] if rung else [],
            state=initial_state(deadline is not None),
            action_digest=action_digest(action.tool, action.step, action.args),
        )
        entry = OpenRequest(request=core.with_card(request), args_model=args_model)
        core.requests[request_id] = entry
        core.audit.record(
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
        core.notifier.new_request(entry.request, core.policy)
        core.publish()
        return entry

    def _next_request_id(self, kind: RequestKind, step: int) -> str:
        base = f"{kind.value}-{step}"
        if base not in self.core.requests:
            return base
        n = 2
        while f"{base}.{n}" in self.core.requests:
            n += 1
        return f"{base}.{n}"


def _first_wait(kind: RequestKind, verdict: Verdict) -> int:
    """Seconds until the first deadline: the review window for post-hoc reviews, else rung 1's SLA."""
    if kind is RequestKind.POST_REVIEW:
        return verdict.review_window_seconds
    return verdict.ladder[0].sla_seconds
