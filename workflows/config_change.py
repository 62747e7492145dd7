"""`ConfigChangeWorkflow`: a production configuration change defined in code, on the same gate.

Reads the current value, proposes the change with the requester's reason, and lets the policy
decide (two approvers for production changes). Once applied, the change stays open for review
for the policy's window, during which an approver may revert it; a rejection or cancellation
undoes what was applied. All I/O happens in activities.
"""

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tools.config import APPLY_CONFIG_CHANGE, CONFIG_TOOLBOX, READ_CONFIG
    from hitl.contracts import Mode, ProposedAction, RiskSignals, StepRecord, TaskResult, TaskStatus, Verdict
    from hitl.contracts.config_change import ConfigChangeInput
    from hitl.names import CONFIG_CHANGE_WORKFLOW

from workflows.gated import GatedWorkflow
from workflows.task_state import TaskEnded


@workflow.defn(name=CONFIG_CHANGE_WORKFLOW)
class ConfigChangeWorkflow(GatedWorkflow):
    """Applies one configuration change after the approvals its policy requires."""

    toolbox = CONFIG_TOOLBOX
    cancelled_reason = "the change was cancelled"

    @workflow.run
    async def run(self, change: ConfigChangeInput) -> TaskResult:
        """Read, gate, apply, watch."""
        return await self.run_task(change, self._change(change))

    async def _change(self, change: ConfigChangeInput) -> str:
        target = {"service": change.service, "key": change.key}
        read = await self.act(ProposedAction(tool=READ_CONFIG, args=target, summary="Read the current value"))
        applied = await self.act(self._proposal(change, read.output))
        if applied.status == "executed":
            await self._watch(change, applied)
        return ""

    def _proposal(self, change: ConfigChangeInput, current: dict[str, Any]) -> ProposedAction:
        return ProposedAction(
            tool=APPLY_CONFIG_CHANGE,
            args={
                "service": change.service,
                "key": change.key,
                "value": change.value,
                "reason": change.reason,
            },
            summary=f"Set {change.service}.{change.key} to {change.value!r} ({_now(current.get('value'))})",
            rationale=change.reason,
            sources=[f"current value, version {current.get('version')}", f"requested by {change.requester}"],
            signals=RiskSignals(reversible=True),
            alternatives=["keep the current value", "apply in a maintenance window"],
            recommendation="apply once two on-call engineers agree",
        )

    async def _watch(self, change: ConfigChangeInput, applied: StepRecord) -> None:
        """Keep an applied change open for review; a revert restores the previous value."""
        state = self._running()
        executed = state.tools.find(applied.step)
        assert executed is not None
        step = next(s for s in state.steps if s.step == applied.step)
        action = ProposedAction(
            step=applied.step,
            tool=APPLY_CONFIG_CHANGE,
            args=executed.args,
            summary=f"Watch {change.service}.{change.key} = {change.value!r}; revert if it misbehaves",
            rationale=f"applied by {step.decided_by}: {change.reason}",
        )
        self.reviews.open(action, self._verdict_of_apply(), executed)
        await self.reviews.drain()
        if executed.undone:
            raise TaskEnded(TaskStatus.COMPENSATED, "the change was reverted during its review window")

    def _verdict_of_apply(self) -> Verdict:
        context = self._running().context
        assert context is not None
        rule = context.policy.policy.tools[APPLY_CONFIG_CHANGE]
        ladder = context.policy.policy.ladders[rule.ladder].as_tiers()
        return Verdict(
            mode=Mode.APPROVE, risk_tier=rule.tier, ladder=ladder, review_window_seconds=rule.review_window
        )


def _now(value: Any) -> str:
    return "not set before" if value is None else f"now {value!r}"
