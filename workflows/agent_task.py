"""`AgentTaskWorkflow`: one agent task, each proposed action classified by policy and, when the
policy says so, stopped at a human gate.

Loads and pins the policy (through an activity, so it is in history), then loops: the agent
proposes; `evaluate()` classifies; the action executes, is blocked, or waits at the gate.
A rejection undoes the steps that executed, in reverse order. All I/O happens in activities.
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import (
        AgentTaskInput,
        AgentTurn,
        AuditKind,
        GateResolution,
        Mode,
        Outcome,
        ProposedAction,
        ProposeInput,
        RequestKind,
        StepOutcome,
        StepRecord,
        StepStatus,
        TaskResult,
        TaskStatus,
        TaskStatusView,
        TurnKind,
        Verdict,
    )
    from hitl.contracts.context import LoadTaskContextInput, TaskContext
    from hitl.names import AGENT_TASK_WORKFLOW
    from hitl.tools import TOOLBOX, ToolSpec
    from policies.evaluate import EvaluationContext, evaluate

from workflows import options
from workflows.audit_log import AuditLog
from workflows.gate.gate import HumanGate
from workflows.gate.handlers import GatedWorkflow
from workflows.tool_runner import ToolRunner

APPROVAL_OUTCOMES = [Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT, Outcome.REQUEST_CHANGES]


class TaskEnded(Exception):
    """Raised inside the step loop to end the task with a result."""

    def __init__(self, status: TaskStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@workflow.defn(name=AGENT_TASK_WORKFLOW)
class AgentTaskWorkflow(GatedWorkflow):
    """Runs one agent task under a policy, with a human gate for risky actions."""

    @workflow.init
    def __init__(self, task: AgentTaskInput) -> None:
        self.task = task
        self.audit = AuditLog(task.task_id)
        self.gate = HumanGate(task.task_id, task.requester, self.audit)
        self.tools = ToolRunner(task.task_id, self.audit)
        self.steps: list[StepOutcome] = []
        self.history: list[StepRecord] = []
        self.context: TaskContext | None = None

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the task to a final status."""
        try:
            self.context = await self._load_context()
        except ActivityError as err:
            # A missing or broken policy ends the task with the reason; it never fails the workflow.
            result = self._result(TaskStatus.FAILED, f"policy {task.policy!r}: {err.cause or err}")
            await self._finish(result)
            return result
        self.gate.configure(self.context, task.kind)
        self.gate.idle_note = f"Task `{task.task_id}` ({task.kind}) is running; no decision pending."
        self.gate.publish()
        self.audit.record(
            AuditKind.TASK_STARTED,
            task.requester,
            kind=task.kind,
            subject=task.subject,
            policy=self.context.policy.name,
            policy_hash=self.context.policy.hash,
        )
        try:
            await self._step_loop()
            result = self._result(TaskStatus.COMPLETED, "")
        except TaskEnded as ended:
            result = self._result(ended.status, ended.reason)
        await self._finish(result)
        return result

    async def _load_context(self) -> TaskContext:
        context: TaskContext = await workflow.execute_activity(
            activity_names.LOAD_TASK_CONTEXT,
            LoadTaskContextInput(
                policy=self.task.policy, task_kind=self.task.kind, action_types=sorted(TOOLBOX)
            ),
            result_type=TaskContext,
            start_to_close_timeout=options.SETUP_TIMEOUT,
            summary=f"load policy {self.task.policy}",
        )
        return context

    async def _step_loop(self) -> None:
        for step in range(self.task.max_steps):
            turn = await self._propose(step)
            if turn.kind is TurnKind.DONE or turn.action is None:
                return
            await self._handle(turn.action.model_copy(update={"step": step}))
        raise TaskEnded(TaskStatus.FAILED, f"the agent did not finish within {self.task.max_steps} steps")

    async def _propose(self, step: int) -> AgentTurn:
        turn: AgentTurn = await workflow.execute_activity(
            activity_names.PROPOSE,
            ProposeInput(
                task_id=self.task.task_id,
                kind=self.task.kind,
                subject=self.task.subject,
                history=self.history,
                next_step=step,
            ),
            result_type=AgentTurn,
            start_to_close_timeout=options.AGENT_TIMEOUT,
            retry_policy=options.AGENT_RETRY,
            summary=f"agent proposes step {step}",
        )
        return turn

    async def _handle(self, action: ProposedAction) -> None:
        assert self.context is not None
        verdict = evaluate(
            self.context.policy.policy,
            action,
            EvaluationContext(
                task_kind=self.task.kind,
                requester=self.task.requester,
                policy_hash=self.context.policy.hash,
            ),
            self.context.autonomy.get(action.tool),
        )
        self._audit_proposal(action, verdict)
        spec = TOOLBOX.get(action.tool)
        if spec is None or verdict.mode is Mode.BLOCK:
            why = "; ".join(r.text for r in verdict.reasons) or f"unknown tool {action.tool!r}"
            self._settle(action, verdict, StepStatus.BLOCKED, action.args, None, f"blocked: {why}")
            return
        problem = _args_problem(spec, action.args)
        if problem:
            self._settle(action, verdict, StepStatus.FAILED, action.args, None, problem)
            return
        if verdict.mode is Mode.APPROVE:
            await self._gate_then_execute(spec, action, verdict)
            return
        await self._execute(spec, action, verdict, action.args, None)

    async def _gate_then_execute(self, spec: ToolSpec, action: ProposedAction, verdict: Verdict) -> None:
        resolution = await self.gate.ask(
            RequestKind.APPROVAL, action, verdict, APPROVAL_OUTCOMES, spec.args_model
        )
        by = ",".join(resolution.decided_by)
        if resolution.outcome in (Outcome.APPROVE, Outcome.MODIFY):
            args = resolution.args if resolution.args is not None else action.args
            await self._execute(spec, action, verdict, args, by, resolution.comment)
            return
        await self._end_rejected(action, verdict, resolution)

    async def _end_rejected(
        self, action: ProposedAction, verdict: Verdict, resolution: GateResolution
    ) -> None:
        reason = resolution.comment or f"{resolution.outcome.value} by {', '.join(resolution.decided_by)}"
        self._settle(
            action,
            verdict,
            StepStatus.REJECTED,
            action.args,
            ",".join(resolution.decided_by),
            reason,
        )
        undone = await self.tools.undo_all(f"step {action.step} rejected: {reason}")
        if undone:
            raise TaskEnded(TaskStatus.COMPENSATED, reason)
        raise TaskEnded(TaskStatus.REJECTED, reason)

    async def _execute(
        self,
        spec: ToolSpec,
        action: ProposedAction,
        verdict: Verdict,
        args: dict[str, Any],
        decided_by: str | None,
        feedback: str = "",
    ) -> None:
        try:
            result = await self.tools.run(spec, action.step, args, decided_by or "agent")
        except ActivityError as err:
            message = str(err.cause or err)
            self.audit.record(AuditKind.FAILED, "system", step=action.step, tool=action.tool, error=message)
            self._settle(action, verdict, StepStatus.FAILED, args, decided_by, message)
            undone = await self.tools.undo_all(f"step {action.step} failed: {message}")
            status = TaskStatus.COMPENSATED if undone else TaskStatus.FAILED
            raise TaskEnded(status, f"{action.tool} failed: {message}") from err
        self._settle(
            action,
            verdict,
            StepStatus.EXECUTED,
            args,
            decided_by,
            result.summary,
            result.output,
            feedback,
        )

    def _settle(
        self,
        action: ProposedAction,
        verdict: Verdict,
        status: StepStatus,
        args: dict[str, Any],
        decided_by: str | None,
        detail: str,
        output: dict[str, Any] | None = None,
        feedback: str = "",
    ) -> None:
        self.steps.append(
            StepOutcome(
                step=action.step,
                tool=action.tool,
                status=status,
                mode=verdict.mode.value,
                args=args,
                decided_by=decided_by,
                detail=detail,
            )
        )
        self.history.append(
            StepRecord(
                step=action.step,
                tool=action.tool,
                status=status.value,
                args=args,
                output=output or {},
                feedback=feedback or (detail if status is not StepStatus.EXECUTED else ""),
            )
        )

    def _audit_proposal(self, action: ProposedAction, verdict: Verdict) -> None:
        self.audit.record(
            AuditKind.PROPOSED,
            "agent",
            step=action.step,
            tool=action.tool,
            args=action.args,
            summary=action.summary,
            rationale=action.rationale,
            sources=action.sources,
            confidence=action.confidence,
        )
        self.audit.record(
            AuditKind.VERDICT,
            "policy",
            step=action.step,
            mode=verdict.mode.value,
            risk_tier=verdict.risk_tier.value,
            rules=[r.id for r in verdict.reasons],
            policy_hash=verdict.policy_hash,
        )

    def _result(self, status: TaskStatus, reason: str) -> TaskResult:
        steps = [
            s.model_copy(update={"status": StepStatus.COMPENSATED})
            if (e := self.tools.find(s.step)) is not None and e.undone and s.status is StepStatus.EXECUTED
            else s
            for s in self.steps
        ]
        return TaskResult(task_id=self.task.task_id, status=status, steps=steps, reason=reason)

    async def _finish(self, result: TaskResult) -> None:
        self.gate.status = result.status.value
        self.gate.idle_note = f"Task `{result.task_id}` ended **{result.status.value}**. {result.reason}"
        self.gate.publish()
        self.audit.record(
            AuditKind.TASK_FINISHED,
            "system",
            status=result.status.value,
            reason=result.reason,
            steps=len(result.steps),
        )
        await self.gate.notifier.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.audit.close()

    def status_view(self) -> TaskStatusView:
        """Steps so far plus the gate's requests, decisions and refusals."""
        return (
            super()
            .status_view()
            .model_copy(
                update={
                    "steps": self.steps,
                    "policy_hash": self.context.policy.hash if self.context else "",
                }
            )
        )


def _args_problem(spec: ToolSpec, args: dict[str, Any]) -> str:
    try:
        spec.args_model.model_validate(args)
    except ValueError as err:
        return f"invalid arguments for {spec.name}: {err}"
    return ""
