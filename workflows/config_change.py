"""`ConfigChangeWorkflow`: a production configuration change defined in code, on the same gate.

Reads the current value, proposes the change with the requester's reason, and lets the policy
decide (two approvers for production changes). Once applied, the change stays open for review
for the policy's window, during which an approver may revert it; a rejection or cancellation
undoes what was applied. Nothing here copies the gate: it is `GatedWorkflow` + `StepFlow`.
All I/O happens in activities.
"""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from hitl.contracts import (
        AgentTaskInput,
        Mode,
        ProposedAction,
        RiskSignals,
        StepOutcome,
        StepStatus,
        TaskResult,
        TaskStatus,
        Verdict,
    )
    from hitl.contracts.config_change import ConfigChangeInput
    from hitl.names import CONFIG_CHANGE_WORKFLOW
    from hitl.tools.config import CONFIG_TOOLS

from workflows import lifecycle
from workflows.audit_log import AuditLog
from workflows.gate.gate import HumanGate
from workflows.gate.handlers import GatedWorkflow
from workflows.post_review import PostReviews
from workflows.step_flow import StepFlow
from workflows.task_state import TaskEnded, TaskState
from workflows.tool_runner import ToolRunner


@workflow.defn(name=CONFIG_CHANGE_WORKFLOW)
class ConfigChangeWorkflow(GatedWorkflow):
    """Applies one configuration change after the approvals its policy requires."""

    state: TaskState

    @workflow.init
    def __init__(self, change: ConfigChangeInput) -> None:
        task = AgentTaskInput(
            task_id=change.change_id,
            kind="config_change",
            requester=change.requester,
            subject={"service": change.service, "key": change.key, "value": change.value},
            policy=change.policy,
        )
        audit = AuditLog(task.task_id)
        self.gate = HumanGate(task.task_id, task.requester, audit)
        self.state = TaskState(task=task, audit=audit, gate=self.gate, tools=ToolRunner(task.task_id, audit))
        self.reviews = PostReviews(self.state)
        self.flow = StepFlow(self.state, self.reviews, revisable=False)

    def status_steps(self) -> list[StepOutcome]:
        """The task's steps so far, for the `status` query."""
        return self.state.steps

    @workflow.run
    async def run(self, change: ConfigChangeInput) -> TaskResult:
        """Read, gate, apply, watch."""
        failed = await lifecycle.begin(self.state, [spec.name for spec in CONFIG_TOOLS])
        if failed is not None:
            return await lifecycle.finish(self.state, failed)
        target = {"service": change.service, "key": change.key}
        try:
            await self.flow.handle(
                ProposedAction(step=0, tool="read_config", args=target, summary="Read the current value")
            )
            current = self.state.history[-1].output
            await self.flow.handle(self._proposal(change, current))
            await self._watch(change)
            result = self.state.result(TaskStatus.COMPLETED, "")
        except TaskEnded as ended:
            status = await lifecycle.wind_down(self.state, self.reviews, ended.status, ended.reason)
            result = self.state.result(status, ended.reason)
        except asyncio.CancelledError:
            reason = "the change was cancelled"
            status = await lifecycle.wind_down(self.state, self.reviews, TaskStatus.ABORTED, reason)
            result = self.state.result(status, reason)
        return await lifecycle.finish(self.state, result)

    def _proposal(self, change: ConfigChangeInput, current: dict[str, object]) -> ProposedAction:
        return ProposedAction(
            step=1,
            tool="apply_config_change",
            args={
                "service": change.service,
                "key": change.key,
                "value": change.value,
                "reason": change.reason,
            },
            summary=f"Set {change.service}.{change.key} to {change.value!r} (now {current.get('value')!r})",
            rationale=change.reason,
            sources=[f"current value, version {current.get('version')}", f"requested by {change.requester}"],
            signals=RiskSignals(reversible=True),
            alternatives=["keep the current value", "apply in a maintenance window"],
            recommendation="apply once two on-call engineers agree",
        )

    async def _watch(self, change: ConfigChangeInput) -> None:
        """Keep an applied change open for review; a revert restores the previous value."""
        executed = self.state.tools.find(1)
        if executed is None:
            return
        step = next(s for s in self.state.steps if s.step == 1 and s.status is StepStatus.EXECUTED)
        action = ProposedAction(
            step=1,
            tool="apply_config_change",
            args=executed.args,
            summary=f"Watch {change.service}.{change.key} = {change.value!r}; revert if it misbehaves",
            rationale=f"applied by {step.decided_by}: {change.reason}",
        )
        verdict = self._verdict_of_apply()
        self.reviews.open(action, verdict, executed)
        await self.reviews.drain()
        if executed.undone:
            raise TaskEnded(TaskStatus.COMPENSATED, "the change was reverted during its review window")

    def _verdict_of_apply(self) -> Verdict:
        context = self.state.context
        assert context is not None
        rule = context.policy.policy.tools["apply_config_change"]
        ladder = context.policy.policy.ladders[rule.ladder].as_tiers()
        return Verdict(
            mode=Mode.APPROVE, risk_tier=rule.tier, ladder=ladder, review_window_seconds=rule.review_window
        )
