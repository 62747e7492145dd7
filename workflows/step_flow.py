"""One proposed action, from verdict to outcome: execute, review, gate, ask, block.

`handle()` establishes the action's facts (an activity), classifies it with the pinned policy
and follows the verdict's mode. A gate
may approve, modify (the patched arguments execute), reject (the task winds down), or send the
action back for changes (the agent revises; the revision goes through policy and gate again,
for a bounded number of rounds). A tool that fails its retries opens an incident gate instead
of retrying forever. All I/O happens in activities.
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.tools.toolset import Toolbox
    from hitl.contracts import (
        AuditKind,
        Facts,
        GateResolution,
        Mode,
        Outcome,
        ProposedAction,
        RequestKind,
        StepStatus,
        TaskStatus,
        ToolSpec,
        TurnKind,
        Verdict,
    )
    from hitl.contracts.carry import ParkedStep

from workflows import agent_calls, facts, incidents
from workflows.post_review import PostReviews
from workflows.shadow import Shadow
from workflows.step_policy import audit_proposal, parse_args, verdict_on
from workflows.task_state import TaskEnded, TaskState

QUESTION_OUTCOMES = [Outcome.ANSWER, Outcome.REJECT]
DEFAULT_QUESTION = "The agent is unsure what is intended. What should it do?"


class StepFlow:
    """Takes each proposed action to its outcome."""

    def __init__(
        self,
        state: TaskState,
        reviews: PostReviews,
        toolbox: Toolbox,
        *,
        revisable: bool = True,
        sends_back: bool = False,
    ) -> None:
        """Args:
        state: The task's state.
        reviews: Where sampled post-hoc reviews are opened.
        toolbox: The tools the workflow offers; any other tool name is blocked.
        revisable: Whether an agent can revise actions (offers `request_changes` at gates).
        sends_back: Whether `reject` and `request_changes` settle the step and return to the
            caller (an agent framework hands the comment to its model as the tool's result)
            instead of ending the task or calling the revise activity.
        """
        self._state = state
        self._toolbox = toolbox
        self._reviews = reviews
        self._revisable = revisable
        self._sends_back = sends_back
        self._shadow = Shadow(state)

    async def handle(self, action: ProposedAction, revision: int = 0) -> None:
        """Classify and carry out one action.

        Raises:
            TaskEnded: A reviewer rejected it, or an incident was aborted.
        """
        spec = self._toolbox.get(action.tool)
        parsed, problem = parse_args(spec, action.args)
        # The policy judges the arguments as the tool will run them ("900" runs as 900.0).
        judged = action.model_copy(update={"args": {**action.args, **parsed}}) if parsed else action
        known = Facts(problems=[problem or f"unknown tool {action.tool!r}"])
        if spec is not None and not problem:
            known = await facts.establish(self._state, spec, judged)
        verdict = verdict_on(self._state, judged, known)
        # In shadow the policy only watches: a human decides, and the two are compared.
        would_be = verdict if self._shadow.applies(action) else None
        if would_be is not None:
            verdict = self._shadow.gated(judged, would_be)
        audit_proposal(self._state.audit, action, verdict, revision, would_be)
        if spec is None or verdict.mode is Mode.BLOCK:
            why = "; ".join(r.text for r in verdict.reasons) or f"unknown tool {action.tool!r}"
            self._state.settle(action, verdict, StepStatus.BLOCKED, action.args, detail=f"blocked: {why}")
            return
        if problem:
            self._state.settle(action, verdict, StepStatus.FAILED, action.args, detail=problem)
            return
        if verdict.mode is Mode.CLARIFY:
            await self._clarify(action, verdict)
        elif verdict.mode is Mode.APPROVE:
            await self._approve(spec, action, verdict, revision, would_be)
        else:
            executed = await self.execute(spec, action, verdict, action.args)
            sampled = workflow.random().random() < verdict.sample_rate
            if executed and verdict.mode is Mode.AUTO_THEN_REVIEW and sampled:
                record = self._state.tools.find(action.step)
                assert record is not None
                self._reviews.open(action, verdict, record)

    async def judge(self, action: ProposedAction) -> Verdict:
        """The pinned policy's verdict on `action` (on the facts established for it), without
        carrying it out."""
        spec = self._toolbox.get(action.tool)
        known = Facts(problems=[f"{action.tool!r} is not a tool of this workflow"])
        if spec is not None and not parse_args(spec, action.args)[1]:
            known = await facts.establish(self._state, spec, action)
        return verdict_on(self._state, action, known)

    def record_proposal(self, action: ProposedAction, verdict: Verdict) -> None:
        """Audit an action and its verdict as `handle()` does, for callers that judge it themselves."""
        audit_proposal(self._state.audit, action, verdict, 0, None)

    async def _approve(
        self,
        spec: ToolSpec,
        action: ProposedAction,
        verdict: Verdict,
        revision: int,
        would_be: Verdict | None = None,
    ) -> None:
        outcomes = [Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT]
        if self._revisable and revision < verdict.max_revision_rounds:
            outcomes.append(Outcome.REQUEST_CHANGES)
        with self._state.parking(action, verdict, revision, would_be):
            resolution = await self._state.gate.ask(
                RequestKind.APPROVAL, action, verdict, outcomes, spec.args_model, spec.fixed, park=True
            )
        await self._approved(spec, action, verdict, revision, would_be, resolution)

    async def resume(self, parked: ParkedStep) -> None:
        """Carry on the step an earlier run of the task was waiting on at a gate: wait on the same
        request, then follow its decision as `handle()` would have."""
        action, verdict = parked.action, parked.verdict
        with self._state.parking(action, verdict, parked.revision, parked.would_be):
            resolution = await self._state.gate.rejoin(parked.request_id, park=True)
        spec = self._toolbox.get(action.tool)
        if (
            self._state.gate.core.requests[parked.request_id].request.kind is RequestKind.QUESTION
            or spec is None
        ):
            self._answered(action, verdict, resolution)
            return
        await self._approved(spec, action, verdict, parked.revision, parked.would_be, resolution)

    async def _approved(
        self,
        spec: ToolSpec,
        action: ProposedAction,
        verdict: Verdict,
        revision: int,
        would_be: Verdict | None,
        resolution: GateResolution,
    ) -> None:
        if would_be is not None:
            await self._shadow.record(action, would_be, resolution)
        by = ",".join(resolution.decided_by)
        if resolution.outcome in (Outcome.APPROVE, Outcome.MODIFY):
            args = resolution.args if resolution.args is not None else action.args
            await self.execute(spec, action, verdict, args, decided_by=by, feedback=resolution.comment)
        elif self._sends_back:
            self._send_back(action, verdict, resolution)
        elif resolution.outcome is Outcome.REQUEST_CHANGES:
            await self._revise(action, verdict, resolution, revision)
        else:
            self._end_rejected(action, verdict, resolution)

    def _send_back(self, action: ProposedAction, verdict: Verdict, resolution: GateResolution) -> None:
        """Settle a rejected or sent-back step without ending the task; the caller tells its agent."""
        by = ",".join(resolution.decided_by)
        reason = resolution.comment or f"{resolution.outcome.value} by {by}"
        status = StepStatus.REJECTED if resolution.outcome is Outcome.REJECT else StepStatus.SKIPPED
        self._state.settle(
            action, verdict, status, action.args, decided_by=by, detail=reason, feedback=reason
        )

    async def _revise(
        self, action: ProposedAction, verdict: Verdict, resolution: GateResolution, revision: int
    ) -> None:
        turn = await agent_calls.revise(self._state, action, resolution.comment)
        if turn.kind is TurnKind.DONE or turn.action is None:
            detail = f"the agent withdrew the action after: {resolution.comment}"
            self._state.settle(action, verdict, StepStatus.SKIPPED, action.args, detail=detail)
            return
        revised = turn.action.model_copy(update={"step": action.step})
        await self.handle(revised, revision + 1)

    async def _clarify(self, action: ProposedAction, verdict: Verdict) -> None:
        question = action.question or DEFAULT_QUESTION
        asking = action.model_copy(update={"question": question})
        with self._state.parking(action, verdict):
            resolution = await self._state.gate.ask(
                RequestKind.QUESTION, asking, verdict, QUESTION_OUTCOMES, park=True
            )
        self._answered(action, verdict, resolution)

    def _answered(self, action: ProposedAction, verdict: Verdict, resolution: GateResolution) -> None:
        question = action.question or DEFAULT_QUESTION
        if resolution.outcome is not Outcome.ANSWER:
            self._end_rejected(action, verdict, resolution)
        by = ",".join(resolution.decided_by)
        answer = resolution.answer or ""
        self._state.settle(
            action,
            verdict,
            StepStatus.CLARIFIED,
            action.args,
            decided_by=by,
            detail=f"{question} -> {answer}",
            feedback=answer,
        )

    async def execute(
        self,
        spec: ToolSpec,
        action: ProposedAction,
        verdict: Verdict,
        args: dict[str, Any],
        *,
        decided_by: str | None = None,
        feedback: str = "",
    ) -> bool:
        """Run the tool; on failure open an incident gate. Returns True when it executed.

        Raises:
            TaskEnded: A reviewer aborted the task from the incident gate.
        """
        while True:
            try:
                result = await self._state.tools.run(spec, action.step, args, decided_by or "agent")
            except ActivityError as err:
                message = str(err.cause or err)
                self._state.audit.record(
                    AuditKind.FAILED, "system", step=action.step, tool=action.tool, error=message
                )
                resolution = await incidents.ask(self._state, action, verdict, message)
                if resolution.outcome is Outcome.RETRY:
                    continue
                by = ",".join(resolution.decided_by)
                if resolution.outcome is Outcome.SKIP:
                    detail = f"skipped after failure: {message}"
                    self._state.settle(
                        action, verdict, StepStatus.SKIPPED, args, decided_by=by, detail=detail
                    )
                    return False
                self._state.settle(action, verdict, StepStatus.FAILED, args, decided_by=by, detail=message)
                raise TaskEnded(
                    TaskStatus.ABORTED, resolution.comment or f"aborted after {action.tool} failed: {message}"
                ) from err
            self._state.settle(
                action,
                verdict,
                StepStatus.EXECUTED,
                args,
                decided_by=decided_by,
                detail=result.summary,
                output=result.output,
                feedback=feedback,
            )
            return True

    def _end_rejected(self, action: ProposedAction, verdict: Verdict, resolution: GateResolution) -> None:
        by = ",".join(resolution.decided_by)
        reason = resolution.comment or f"{resolution.outcome.value} by {by}"
        self._state.settle(
            action, verdict, StepStatus.REJECTED, action.args, decided_by=by, detail=reason, feedback=reason
        )
        raise TaskEnded(TaskStatus.REJECTED, reason)
