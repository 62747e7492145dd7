"""What a step's action is judged on and what its judgement leaves in the audit trail: the
arguments as the tool reads them, the pinned policy's verdict on the established facts, and the
`proposed` and `verdict` events. Pure code over the task's state; no I/O.
"""

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import AuditKind, Facts, ProposedAction, ToolSpec, Verdict
    from policies.evaluate import EvaluationContext, evaluate

from workflows.audit_log import AuditLog
from workflows.task_state import TaskState


def parse_args(spec: ToolSpec | None, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The arguments as the tool's model reads them, or why they do not fit ({} and no problem
    for an unknown tool, which is blocked anyway)."""
    if spec is None:
        return {}, ""
    try:
        return spec.args_model.model_validate(args).model_dump(), ""
    except ValueError as err:
        return {}, f"invalid arguments for {spec.name}: {err}"


def verdict_on(state: TaskState, action: ProposedAction, known: Facts) -> Verdict:
    """The pinned policy's verdict on `action`, given the facts established for it."""
    context = state.context
    assert context is not None
    return evaluate(
        context.policy.policy,
        action,
        EvaluationContext(
            task_kind=state.task.kind,
            requester=state.task.requester,
            policy_hash=context.policy.hash,
            novel_action_types=context.novel_action_types,
            calibration=context.calibration,
        ),
        context.autonomy.get(action.tool),
        known,
    )


def audit_proposal(
    audit: AuditLog, action: ProposedAction, verdict: Verdict, revision: int, would_be: Verdict | None
) -> None:
    """Record the agent's proposal and the policy's verdict on it (and, in shadow, the verdict the
    policy would have given)."""
    audit.record(
        AuditKind.PROPOSED,
        "agent",
        step=action.step,
        revision=revision,
        tool=action.tool,
        args=action.args,
        summary=action.summary,
        rationale=action.rationale,
        sources=action.sources,
        confidence=action.confidence,
        question=action.question,
    )
    audit.record(
        AuditKind.VERDICT,
        "policy",
        step=action.step,
        mode=verdict.mode.value,
        risk_tier=verdict.risk_tier.value,
        rules=[{"id": r.id, "text": r.text, "source": r.source, "basis": r.basis} for r in verdict.reasons],
        policy_hash=verdict.policy_hash,
        facts=verdict.facts.model_dump(mode="json") if verdict.facts is not None else None,
        **({"shadow_would_be": would_be.mode.value} if would_be is not None else {}),
    )
