"""Shadow mode in a task: a human decides every shadowed action; the policy's would-be verdict is
recorded next to the decision. All I/O happens in activities."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import FiredRule, GateResolution, Mode, ProposedAction, Verdict
    from hitl.contracts.shadow import RecordShadowInput, RecordShadowResult, ShadowRecord
    from hitl.contracts.verdict import MODE_ORDER
    from policies.evaluate import action_amount
    from policies.shadow import agreement

from workflows import options
from workflows.task_state import TaskState


class Shadow:
    """Decides whether an action runs in shadow, gates it, and records the comparison."""

    def __init__(self, state: TaskState) -> None:
        self._state = state

    def applies(self, action: ProposedAction) -> bool:
        """Whether the pinned policy runs this task kind or tool in shadow."""
        context = self._state.context
        assert context is not None
        return context.policy.policy.shadow.applies(self._state.task.kind, action.tool)

    def gated(self, action: ProposedAction, would_be: Verdict) -> Verdict:
        """The verdict a shadowed action is decided with: whatever the policy says, a human acts.
        A block stays a block and a question stays a question: shadow never loosens a verdict."""
        if MODE_ORDER[would_be.mode] >= MODE_ORDER[Mode.APPROVE]:
            return would_be
        context = self._state.context
        assert context is not None
        rule = context.policy.policy.tools.get(action.tool)
        note = FiredRule(
            id="shadow.gated",
            text=f"runs in shadow: a human decides (the policy would have: {would_be.mode.value})",
            mode=Mode.APPROVE,
        )
        return would_be.model_copy(
            update={
                "mode": Mode.APPROVE,
                "reasons": [*would_be.reasons, note],
                "required_limit": action_amount(rule, action) if rule is not None else None,
                "sample_rate": 0.0,
            }
        )

    async def record(self, action: ProposedAction, would_be: Verdict, resolution: GateResolution) -> None:
        """Store the policy's would-be mode next to the human's decision (not a fallback's)."""
        if resolution.by_fallback:
            return
        state = self._state
        record = ShadowRecord(
            shadow_key=f"{workflow.info().workflow_id}/{resolution.request_id}",
            task_id=state.task.task_id,
            task_kind=state.task.kind,
            action_type=action.tool,
            step=action.step,
            would_be=would_be.mode,
            risk_tier=would_be.risk_tier,
            rules=would_be.reasons,
            outcome=resolution.outcome.value,
            agreement=agreement(would_be.mode, resolution.outcome.value).value,
            reviewers=resolution.decided_by,
            policy_hash=would_be.policy_hash,
            decided_at=workflow.now(),
        )
        await workflow.execute_activity(
            activity_names.RECORD_SHADOW,
            RecordShadowInput(record=record),
            result_type=RecordShadowResult,
            start_to_close_timeout=options.AUDIT_TIMEOUT,
            heartbeat_timeout=options.AUDIT_HEARTBEAT,
            retry_policy=options.AUDIT_RETRY,
            summary=f"shadow {action.tool}: policy {would_be.mode.value}, human {resolution.outcome.value}",
        )
