"""Start and finish of a gated task, shared by every workflow built on the gate.

`begin()` loads the task context through a local activity (so the policy and its hash are pinned
in history), configures the gate, checks the requester's proof against the pinned policy (a refused
one ends the task as `rejected` with its code) and audits the start; `finish()` publishes the final status,
audits it, waits for notices and handlers, and flushes the audit log. All I/O happens in
activities.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import AuditKind, DecisionAnswer, GatedInput, TaskResult, TaskStatus
    from hitl.contracts.task import answers_of
    from policies.context import LoadTaskContextInput, TaskContext
    from policies.requester_proof import StartedAs, check_requester

from workflows import options, patches
from workflows.gate.gate import HumanGate
from workflows.local_first import run_local_first
from workflows.post_review import PostReviews
from workflows.task_state import TaskState


async def begin(state: TaskState, action_types: list[str], request: GatedInput) -> TaskResult | None:
    """Pin the task context and check who requested it (`request` is the workflow's input).

    Returns:
        None to run the task; a failed result when the policy cannot be loaded, a rejected one
        (with the proof's refusal code) when the requester proof is refused.
    """
    task = state.task
    state.gate.idle_note = f"Task `{task.task_id}` ({task.kind}) is running; no decision pending."
    state.gate.publish()
    try:
        context: TaskContext = await run_local_first(
            activity_names.LOAD_TASK_CONTEXT,
            LoadTaskContextInput(
                policy=task.policy, task_kind=task.kind, action_types=action_types, subject=task.subject
            ),
            patch=patches.LOCAL_WRITES_AND_QUEUE_MEMO,
            result_type=TaskContext,
            start_to_close_timeout=options.SETUP_TIMEOUT,
            summary=f"load policy {task.policy}",
        )
    except ActivityError as err:
        # A missing or broken policy ends the task with the reason; it never fails the workflow.
        return state.result(TaskStatus.FAILED, f"policy {task.policy!r}: {err.cause or err}")
    state.context = context
    state.gate.configure(context, task.kind)
    info = workflow.info()
    started = StartedAs(info.namespace, info.workflow_id, info.workflow_type)
    # The proof authorizes the start: it must not have expired when the server accepted it.
    requester = check_requester(request, context.policy.policy.identity, started, info.workflow_start_time)
    state.audit.record(
        AuditKind.TASK_STARTED,
        task.requester,
        requester_verified=bool(requester.principal),
        requester_principal=requester.principal or None,
        requester_refused=requester.code or None,
        kind=task.kind,
        subject=task.subject,
        policy=context.policy.name,
        policy_hash=context.policy.hash,
        autonomy=context.autonomy,
        novel_action_types=context.novel_action_types,
        calibration={tool: table.decisions for tool, table in context.calibration.items()},
    )
    if requester.refused:
        refused = state.result(TaskStatus.REJECTED, f"the requester proof was refused: {requester.message}")
        return refused.model_copy(update={"code": requester.code})
    return None


async def finish(state: TaskState, result: TaskResult) -> TaskResult:
    """Publish and audit the final status, then let notices, handlers and the audit log drain."""
    gate = state.gate
    gate.status = result.status.value
    gate.idle_note = f"Task `{result.task_id}` ended **{result.status.value}**. {result.reason}"
    gate.publish()
    state.audit.record(
        AuditKind.TASK_FINISHED,
        "system",
        status=result.status.value,
        reason=result.reason,
        code=result.code or None,
        message=result.message,
        steps=len(result.steps),
    )
    await gate.notifier.drain()
    await workflow.wait_condition(workflow.all_handlers_finished)
    await state.audit.close()
    return result.model_copy(update={"answers": answers(gate)})


def answers(gate: HumanGate) -> list[DecisionAnswer]:
    """The decisions with an id that the gate applied or refused, for the task's result."""
    return answers_of(gate.decisions, gate.refusals)


async def wind_down(state: TaskState, reviews: PostReviews, status: TaskStatus, reason: str) -> TaskStatus:
    """Withdraw open reviews and undo executed steps in reverse; `compensated` if anything was undone."""
    reviews.cancel_all()
    await reviews.drain()
    undone = await state.tools.undo_all(reason)
    return TaskStatus.COMPENSATED if undone else status
