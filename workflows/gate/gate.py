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
        AppliedDecision,
        AuditKind,
        Decision,
        DecisionReceipt,
        Fallback,
        FeedbackRecord,
        GateResolution,
        Outcome,
        ProposedAction,
        Refusal,
        RequestKind,
        RequestState,
        ReviewRequest,
        Verdict,
    )
    from hitl.contracts.context import TaskContext
    from hitl.contracts.verdict import RISK_ORDER, RiskTier
    from policies.model import Policy

from workflows.audit_log import AuditLog
from workflows.gate import visibility
from workflows.gate.card import render_card, ui_link
from workflows.gate.notices import Notifier
from workflows.gate.validation import OpenRequest, check_decision

SYSTEM = "system"


class HumanGate:
    """A durable human gate a workflow asks through `await gate.ask(...)`."""

    def __init__(self, task_id: str, requester: str, audit: AuditLog) -> None:
        self.task_id = task_id
        self.requester = requester
        self.audit = audit
        self.policy = Policy(name="unloaded")
        self.policy_hash = ""
        self.ui_base_url = ""
        self.task_kind = ""
        self.requests: dict[str, OpenRequest] = {}
        self.decisions: list[AppliedDecision] = []
        self.refusals: list[Refusal] = []
        self.status = "running"
        self.idle_note = ""
        self._receipts: dict[str, DecisionReceipt] = {}
        self.notifier = Notifier(task_id, audit)

    def configure(self, context: TaskContext, task_kind: str) -> None:
        """Set the policy, UI address, notification queue and task kind from the pinned context."""
        snapshot = context.policy
        ui_base_url = context.ui_base_url
        self.notifier.task_queue = context.notify_task_queue
        self.policy = snapshot.policy
        self.policy_hash = snapshot.hash
        self.ui_base_url = ui_base_url
        self.task_kind = task_kind

    @property
    def open_requests(self) -> list[ReviewRequest]:
        """Requests still waiting for a decision."""
        return [r.request for r in self.requests.values() if r.is_open]

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
            deadline=now + timedelta(seconds=rung.sla_seconds) if rung else None,
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

    async def _wait(self, entry: OpenRequest) -> None:
        ladder = entry.request.verdict.ladder
        while True:
            deadline = entry.request.deadline
            if deadline is None:
                await workflow.wait_condition(lambda: not entry.is_open)
                return
            remaining = max(deadline - workflow.now(), timedelta(seconds=0))
            try:
                await workflow.wait_condition(
                    lambda: not entry.is_open,
                    timeout=remaining,
                    timeout_summary=f"SLA {entry.request.request_id} tier {entry.request.tier + 1}",
                )
                return
            except TimeoutError:
                pass
            if entry.request.tier + 1 < len(ladder):
                self._escalate(entry)
            else:
                self._fall_back(entry)
                if not entry.is_open:
                    return

    def _escalate(self, entry: OpenRequest) -> None:
        request = entry.request
        ladder = request.verdict.ladder
        tier = request.tier + 1
        rung = ladder[tier]
        entry.request = self._with_card(
            request.model_copy(
                update={
                    "tier": tier,
                    "assignees": [rung.group],
                    "deadline": workflow.now() + timedelta(seconds=rung.sla_seconds),
                }
            )
        )
        self.audit.record(
            AuditKind.ESCALATED,
            SYSTEM,
            request_id=request.request_id,
            from_group=request.assignees,
            to_group=rung.group,
            tier=tier,
        )
        earlier = [r.group for r in ladder[:tier]] if rung.remind_earlier else []
        self.notifier.escalated(entry.request, earlier, self.policy)
        self.publish()

    def _fall_back(self, entry: OpenRequest) -> None:
        verdict = entry.request.verdict
        if verdict.fallback is Fallback.HOLD:
            entry.request = self._with_card(entry.request.model_copy(update={"deadline": None}))
            self.audit.record(
                AuditKind.FALLBACK, SYSTEM, request_id=entry.request.request_id, fallback="hold"
            )
            self.publish()
            return
        outcome = Outcome.APPROVE if verdict.fallback is Fallback.APPROVE else Outcome.REJECT
        if outcome is Outcome.APPROVE and not _may_auto_approve(entry.request):
            # Defense in depth: whatever the verdict says, a timeout never approves a risky action.
            outcome = Outcome.REJECT
        self.audit.record(
            AuditKind.FALLBACK,
            SYSTEM,
            request_id=entry.request.request_id,
            fallback=verdict.fallback.value,
            outcome=outcome.value,
        )
        entry.fallback_fired = True
        entry.resolution_outcome = outcome
        self._close(entry, RequestState.TIMED_OUT)

    def _close(self, entry: OpenRequest, state: RequestState) -> None:
        entry.request = entry.request.model_copy(update={"state": state})
        self.publish()

    def _with_card(self, request: ReviewRequest) -> ReviewRequest:
        info = workflow.info()
        link = ui_link(self.ui_base_url, info.namespace, info.workflow_id)
        return request.model_copy(
            update={"card": render_card(request, info.workflow_id, link), "ui_url": link}
        )

    def publish(self) -> None:
        """Refresh search attributes and current details from the open requests."""
        open_requests = self.open_requests
        visibility.publish(open_requests, "waiting" if open_requests else self.status, self.idle_note)

    def _resolution(self, entry: OpenRequest) -> GateResolution:
        request = entry.request
        outcome = entry.resolution_outcome or Outcome.REJECT
        if entry.fallback_fired:
            return GateResolution(
                request_id=request.request_id,
                outcome=outcome,
                decided_by=[SYSTEM],
                comment=f"no decision before the escalation ladder ran out ({outcome.value})",
                reason_code="sla_fallback",
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

    # Decisions: shared by the signal and the update -------------------------------------

    def check(self, decision: Decision) -> Refusal | None:
        """Validate without changing anything (the update validator calls this)."""
        if decision.decision_id and decision.decision_id in self._receipts:
            return None
        result = check_decision(decision, self.requests, self.policy, self.requester)
        if not result.refused:
            return None
        return Refusal(
            code=result.code,
            message=result.message,
            reviewer=decision.reviewer,
            request_id=decision.request_id,
            decision_id=decision.decision_id,
        )

    def submit(self, decision: Decision, via: str) -> DecisionReceipt:
        """Apply a decision, or record why it was refused. Never raises."""
        if decision.decision_id and decision.decision_id in self._receipts:
            earlier = self._receipts[decision.decision_id]
            return earlier.model_copy(update={"duplicate": True})
        result = check_decision(decision, self.requests, self.policy, self.requester)
        if result.refused or result.target is None:
            refusal = Refusal(
                code=result.code,
                message=result.message,
                reviewer=decision.reviewer,
                request_id=decision.request_id,
                decision_id=decision.decision_id,
                via=via,
                at=workflow.now(),
            )
            self.record_refusal(refusal)
            return DecisionReceipt(
                accepted=False,
                request_id=decision.request_id,
                decision_id=decision.decision_id,
                message=f"{refusal.code}: {refusal.message}",
            )
        entry = result.target
        request_id = entry.request.request_id
        self.decisions.append(
            AppliedDecision(request_id=request_id, decision=decision, at=workflow.now(), via=via)
        )
        self._apply(entry, decision, result.patched_args)
        self.audit.record(
            AuditKind.DECISION_ACCEPTED,
            decision.reviewer,
            request_id=request_id,
            outcome=decision.outcome.value,
            reason_code=decision.reason_code,
            comment=decision.comment,
            patch=decision.patch,
            diff=args_diff(entry.request.action.args, result.patched_args) if result.patched_args else None,
            answer=decision.answer,
            decision_id=decision.decision_id,
            via=via,
        )
        receipt = DecisionReceipt(
            accepted=True,
            request_id=request_id,
            decision_id=decision.decision_id,
            message=self._progress(entry),
        )
        if decision.decision_id:
            self._receipts[decision.decision_id] = receipt
        return receipt

    def record_refusal(self, refusal: Refusal) -> None:
        """Keep a refusal queryable and write it to the audit trail."""
        self.refusals.append(refusal)
        self.audit.record(
            AuditKind.DECISION_REFUSED,
            refusal.reviewer or "unknown",
            code=refusal.code,
            message=refusal.message,
            request_id=refusal.request_id,
            decision_id=refusal.decision_id,
            via=refusal.via,
        )

    def _apply(self, entry: OpenRequest, decision: Decision, patched: dict[str, Any] | None) -> None:
        if decision.outcome is Outcome.APPROVE:
            entry.approvals[decision.reviewer] = decision
            if len(entry.approvals) < entry.request.verdict.quorum:
                entry.request = self._with_card(
                    entry.request.model_copy(update={"approvals": list(entry.approvals)})
                )
                self.publish()
                return
        entry.patched_args = patched
        entry.resolution_outcome = decision.outcome
        self._close(entry, RequestState.DECIDED)

    def _progress(self, entry: OpenRequest) -> str:
        quorum = entry.request.verdict.quorum
        if entry.is_open and quorum > 1:
            return f"approval {len(entry.approvals)} of {quorum} recorded"
        outcome = entry.resolution_outcome.value if entry.resolution_outcome else "open"
        return f"{entry.request.request_id}: {outcome}"


def _may_auto_approve(request: ReviewRequest) -> bool:
    """A closing review window keeps what ran; otherwise only low tiers may pass on a timeout."""
    if request.kind is RequestKind.POST_REVIEW:
        return True
    return RISK_ORDER[request.verdict.risk_tier] < RISK_ORDER[RiskTier.HIGH]


def args_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed arguments as `{name: [before, after]}` (missing values are None)."""
    names = sorted(set(before) | set(after))
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}
