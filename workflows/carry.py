"""The carry-over of a task that continues as new: taken from a run's state, restored in the next.

`snapshot()` gathers what the gate, the audit log, the tool runner and the agent loop hold into a
`TaskCarry`; `resume()` puts it back in a fresh run, re-attaches open post-hoc reviews, and audits
the switch (`task_continued`). The pinned policy and task context travel with it, so a policy edit
never reaches a running task. All I/O happens in activities.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tools.toolset import Toolbox
    from hitl.contracts import AuditKind, Refusal, RequestKind
    from hitl.contracts.carry import CarriedRequest, CarriedStep, TaskCarry
    from policies.context import TaskContext

from workflows.gate.validation import OpenRequest
from workflows.post_review import PostReviews
from workflows.task_state import TaskState
from workflows.tool_runner import ExecutedStep


def snapshot(state: TaskState, next_step: int, reason: str) -> TaskCarry:
    """Everything the next run needs, with the run ids so far and the history at the switch."""
    info = workflow.info()
    core = state.gate.core
    assert state.context is not None
    seq, backlog, feedback = state.audit.carry()
    return TaskCarry(
        runs=[*core.earlier_runs, info.run_id],
        history_length=info.get_current_history_length(),
        history_bytes=info.get_current_history_size(),
        reason=reason,
        context=state.context.model_dump(mode="json"),
        audit_seq=seq,
        audit_head=state.audit.head,
        audit_backlog=backlog,
        feedback_backlog=feedback,
        steps=state.steps,
        history=state.history,
        executed=[
            CarriedStep(step=e.step, tool=e.spec.name, args=e.args, output=e.output, undone=e.undone)
            for e in state.tools.executed
        ],
        next_step=next_step,
        parked=state.parked,
        requests=[_carried(entry) for entry in core.requests.values()],
        decisions=core.decisions,
        refusals=[_trimmed(r) for r in core.refusals],
        refusals_total=core.refusals_total,
        receipts=state.gate.desk.receipts,
    )


def resume(state: TaskState, reviews: PostReviews, toolbox: Toolbox, carry: TaskCarry) -> None:
    """Restore `carry` into a fresh run's state and audit the switch."""
    info = workflow.info()
    gate, core = state.gate, state.gate.core
    core.earlier_runs = list(carry.runs)
    context = state.context = TaskContext.model_validate(carry.context)
    gate.configure(context, state.task.kind)
    state.audit.resume(carry.audit_seq, carry.audit_head, carry.audit_backlog, carry.feedback_backlog)
    state.steps, state.history = list(carry.steps), list(carry.history)
    for done in carry.executed:
        spec = toolbox.get(done.tool)
        assert spec is not None, f"{done.tool} executed but is not in the toolbox"
        state.tools.executed.append(ExecutedStep(done.step, spec, done.args, done.output, done.undone))
    for carried in carry.requests:
        core.requests[carried.request.request_id] = _restored(carried, toolbox)
    core.decisions = list(carry.decisions)
    core.refusals, core.refusals_total = list(carry.refusals), carry.refusals_total
    gate.desk.receipts.update(carry.receipts)
    for entry in core.requests.values():
        executed = state.tools.find(entry.request.action.step)
        if entry.is_open and entry.request.kind is RequestKind.POST_REVIEW and executed is not None:
            reviews.resume(entry.request.request_id, executed)
    state.audit.record(
        AuditKind.TASK_CONTINUED,
        "system",
        from_run=carry.runs[-1],
        run=info.run_id,
        run_number=len(carry.runs) + 1,
        history_length=carry.history_length,
        history_bytes=carry.history_bytes,
        reason=carry.reason,
        next_step=carry.next_step,
        open_requests=[r.request_id for r in core.open_requests],
    )
    gate.idle_note = f"Task `{state.task.task_id}` ({state.task.kind}) is running; no decision pending."
    gate.publish()


CARRIED_TEXT = 500
"""Characters of a refusal's reviewer and message the next run keeps for the `status` query (the
audit trail has them whole): a flood of oversized refusals must not outgrow the carry-over."""


def _trimmed(refusal: Refusal) -> Refusal:
    reviewer = refusal.reviewer[:CARRIED_TEXT] if refusal.reviewer is not None else None
    return refusal.model_copy(update={"reviewer": reviewer, "message": refusal.message[:CARRIED_TEXT]})


def _carried(entry: OpenRequest) -> CarriedRequest:
    request = entry.request if entry.is_open else entry.request.model_copy(update={"card": ""})
    return CarriedRequest(
        request=request,
        fixed=sorted(entry.fixed),
        approvals=entry.approvals,
        principals=sorted(entry.principals),
        outcome=entry.outcome,
        patched_args=entry.patched_args,
    )


def _restored(carried: CarriedRequest, toolbox: Toolbox) -> OpenRequest:
    request = carried.request
    spec = toolbox.get(request.action.tool) if request.kind is RequestKind.APPROVAL else None
    return OpenRequest(
        request=request,
        args_model=spec.args_model if spec is not None else None,
        fixed=frozenset(carried.fixed),
        approvals=dict(carried.approvals),
        principals=set(carried.principals),
        outcome=carried.outcome,
        patched_args=carried.patched_args,
    )
