"""How a settled request is handed back: the workflow's `GateResolution` and the feedback row.

Pure functions of a settled request and the decisions applied to it.
"""

from datetime import datetime
from typing import Any

from hitl.contracts import AppliedDecision, FeedbackRecord, GateResolution, Outcome, RequestKind, RequestState
from workflows.gate.validation import OpenRequest

SYSTEM = "system"
"""Actor name for what the gate does on its own (escalations, fallbacks)."""


def resolution_of(entry: OpenRequest, applied: list[AppliedDecision]) -> GateResolution:
    """The resolution of a settled request, from its fallback or the decisions that settled it."""
    request = entry.request
    outcome = entry.outcome or Outcome.REJECT
    if entry.state is RequestState.TIMED_OUT:
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
    mine = [d for d in applied if d.request_id == request.request_id]
    decisions = [d.decision for d in mine]
    settling = decisions[-1]
    return GateResolution(
        request_id=request.request_id,
        outcome=outcome,
        decided_by=[d.reviewer for d in decisions],
        decisions=decisions,
        args=entry.patched_args if outcome is Outcome.MODIFY else None,
        comment=settling.comment,
        answer=settling.answer,
        reason_code=settling.reason_code,
        verified=all(d.verified for d in mine),
    )


def feedback_of(
    entry: OpenRequest,
    resolution: GateResolution,
    *,
    workflow_id: str,
    task_id: str,
    task_kind: str,
    policy_hash: str,
    now: datetime,
) -> FeedbackRecord:
    """The feedback row of a settled request: proposed against final arguments, who, how fast."""
    request = entry.request
    final_args: dict[str, Any] | None = None
    if resolution.outcome is Outcome.MODIFY:
        final_args = resolution.args
    elif resolution.outcome is Outcome.APPROVE:
        final_args = request.action.args
    return FeedbackRecord(
        feedback_key=f"{workflow_id}/{request.request_id}",
        task_id=task_id,
        task_kind=task_kind,
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
        decided_at=now,
        policy_hash=policy_hash,
        verified=resolution.verified,
    )
