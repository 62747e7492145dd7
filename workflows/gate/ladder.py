"""The SLA ladder: wait on each tier's durable timer, escalate, and apply the fallback.

All I/O happens in activities.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AuditKind,
        Fallback,
        Outcome,
        RequestKind,
        RequestState,
        ReviewRequest,
    )
    from hitl.contracts.verdict import RISK_ORDER, RiskTier

from workflows.gate.core import GateCore
from workflows.gate.lifecycle import Event
from workflows.gate.resolution import SYSTEM
from workflows.gate.validation import OpenRequest


class SlaLadder:
    """Waits for a request to be settled, climbing the escalation ladder on each timeout."""

    def __init__(self, core: GateCore) -> None:
        self._core = core

    async def wait(self, entry: OpenRequest) -> None:
        """Return once the request is settled, by a human or by its fallback."""
        ladder = entry.request.verdict.ladder
        core = self._core

        def settled_or_continuing() -> bool:
            return not entry.is_open or core.continuing(entry)

        while entry.is_open:
            deadline = entry.request.deadline
            if entry.state is RequestState.HOLDING or deadline is None:
                await workflow.wait_condition(settled_or_continuing)
                self._continue_if_open(entry)
                return
            # Deadlines are absolute: after a continue-as-new the timer runs for what is left.
            remaining = max(deadline - workflow.now(), timedelta(seconds=0))
            try:
                await workflow.wait_condition(
                    settled_or_continuing,
                    timeout=remaining,
                    timeout_summary=f"SLA {entry.request.request_id} tier {entry.request.tier + 1}",
                )
                self._continue_if_open(entry)
                return
            except TimeoutError:
                pass
            # A post-hoc review has one window, not a ladder: it closes rather than escalates.
            if entry.request.kind is not RequestKind.POST_REVIEW and entry.request.tier + 1 < len(ladder):
                self._escalate(entry)
            else:
                self._fall_back(entry)

    def _continue_if_open(self, entry: OpenRequest) -> None:
        # Woken with the request still open: the task continues as new and waits on it there.
        if entry.is_open and self._core.continuer is not None:
            self._core.continuer.go()

    def _escalate(self, entry: OpenRequest) -> None:
        request = entry.request
        ladder = request.verdict.ladder
        tier = request.tier + 1
        rung = ladder[tier]
        escalated = self._core.advance(
            entry,
            Event.ESCALATION,
            tier=tier,
            assignees=[rung.group],
            # Anchored on the previous deadline: rungs add up exactly (4h, then 12h, ...).
            deadline=(request.deadline or workflow.now()) + timedelta(seconds=rung.sla_seconds),
        )
        if not escalated:
            return  # decided in the same workflow task as the timer fired: the decision wins
        self._core.audit.record(
            AuditKind.ESCALATED,
            SYSTEM,
            request_id=request.request_id,
            from_group=request.assignees,
            to_group=rung.group,
            tier=tier,
        )
        earlier = [r.group for r in ladder[:tier]] if rung.remind_earlier else []
        self._core.notifier.escalated(entry.request, earlier, self._core.policy)

    def _fall_back(self, entry: OpenRequest) -> None:
        verdict = entry.request.verdict
        if verdict.fallback is Fallback.HOLD:
            settled = self._core.advance(entry, Event.HOLD, deadline=None)
            details: dict[str, str] = {"fallback": "hold"}
        else:
            outcome = Outcome.APPROVE if verdict.fallback is Fallback.APPROVE else Outcome.REJECT
            if outcome is Outcome.APPROVE and not _may_auto_approve(entry.request):
                # Defense in depth: whatever the verdict says, a timeout never approves a risky action.
                outcome = Outcome.REJECT
            settled = self._core.advance(entry, Event.FALLBACK, outcome=outcome)
            details = {"fallback": verdict.fallback.value, "outcome": outcome.value}
        if settled:
            self._core.audit.record(
                AuditKind.FALLBACK,
                SYSTEM,
                request_id=entry.request.request_id,
                request_kind=entry.request.kind.value,
                **details,
            )


def _may_auto_approve(request: ReviewRequest) -> bool:
    """A closing review window keeps what ran; otherwise only low tiers may pass on a timeout."""
    if request.kind is RequestKind.POST_REVIEW:
        return True
    return RISK_ORDER[request.verdict.risk_tier] < RISK_ORDER[RiskTier.HIGH]
