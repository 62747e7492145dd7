"""The decision desk: one validation for signals and updates, applied once per decision id.

All I/O happens in activities.
"""

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AppliedDecision,
        AuditKind,
        Decision,
        DecisionReceipt,
        Outcome,
        Refusal,
    )
    from hitl.contracts.text import excerpt
    from policies.identity import normalize_name

from workflows.gate.core import KEPT_REFUSALS, GateCore
from workflows.gate.lifecycle import Event
from workflows.gate.validation import Arrival, Check, OpenRequest, check_decision

MAX_REFUSAL_MESSAGE = 1000
"""Characters of a refusal's message kept in history and the audit trail."""


class DecisionDesk:
    """Validates, applies or refuses decisions on a gate's requests; keeps receipts for idempotency."""

    def __init__(self, core: GateCore) -> None:
        self._core = core
        self._receipts: dict[str, DecisionReceipt] = {}

    def submit(self, decision: Decision, via: str) -> DecisionReceipt:
        """Apply a decision, or record why it was refused. Never raises."""
        if decision.decision_id and decision.decision_id in self._receipts:
            earlier = self._receipts[decision.decision_id]
            return earlier.model_copy(update={"duplicate": True})
        core = self._core
        result = self._validate(decision)
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
                code=refusal.code,
                message=refusal.message,
            )
        entry = result.target
        request_id = entry.request.request_id
        core.decisions.append(
            AppliedDecision(
                request_id=request_id,
                decision=decision,
                at=workflow.now(),
                via=via,
                principal=result.principal,
            )
        )
        self._apply(entry, decision, result)
        core.audit.record(
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
            signature=decision.signature,
            verified=bool(result.principal),
            principal=result.principal or None,
            via=via,
        )
        receipt = DecisionReceipt(
            accepted=True,
            request_id=request_id,
            decision_id=decision.decision_id,
            message=_progress(entry),
        )
        if decision.decision_id:
            self._receipts[decision.decision_id] = receipt
        return receipt

    def record_refusal(self, refusal: Refusal) -> None:
        """Keep a refusal queryable and write it to the audit trail, every field it quotes
        bounded (`hitl.contracts.text.excerpt`): a hostile value never enters history whole."""
        core = self._core
        refusal = refusal.model_copy(
            update={
                "message": excerpt(refusal.message, MAX_REFUSAL_MESSAGE),
                **{
                    name: excerpt(value)
                    for name in ("reviewer", "request_id", "decision_id", "via")
                    if isinstance(value := getattr(refusal, name), str)
                },
            }
        )
        core.refusals = [*core.refusals[-(KEPT_REFUSALS - 1) :], refusal]
        core.refusals_total += 1
        core.audit.record(
            AuditKind.DECISION_REFUSED,
            refusal.reviewer or "unknown",
            code=refusal.code,
            message=refusal.message,
            request_id=refusal.request_id,
            decision_id=refusal.decision_id,
            via=refusal.via,
        )

    def _validate(self, decision: Decision) -> Check:
        core = self._core
        info = workflow.info()
        arrival = Arrival(info.namespace, info.workflow_id, info.run_id, workflow.now())
        return check_decision(decision, core.requests, core.policy, core.requester, arrival)

    def _apply(self, entry: OpenRequest, decision: Decision, result: Check) -> None:
        if decision.outcome is Outcome.APPROVE:
            entry.approvals[normalize_name(decision.reviewer)] = decision
            if result.principal:
                entry.principals.add(result.principal)
            if len(entry.approvals) < entry.request.verdict.quorum:
                self._core.advance(entry, Event.APPROVAL, approvals=list(entry.approvals))
                return
        entry.patched_args = result.patched_args
        self._core.advance(entry, Event.DECISION, outcome=decision.outcome)


def _progress(entry: OpenRequest) -> str:
    quorum = entry.request.verdict.quorum
    if entry.is_open and quorum > 1:
        return f"approval {len(entry.approvals)} of {quorum} recorded"
    outcome = entry.outcome.value if entry.outcome else "open"
    return f"{entry.request.request_id}: {outcome}"


def args_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed arguments as `{name: [before, after]}` (missing values are None)."""
    names = sorted(set(before) | set(after))
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}
