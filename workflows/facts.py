"""Establishing the facts of a proposed action, through the facts activity, before the policy
judges it. The task's own spend against per-task budgets comes from its executed steps (in
history); everything else is read by the activity. All I/O happens in activities.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from hitl import activity_names
    from hitl.contracts import Facts, ProposedAction, ToolSpec
    from policies.budgets import TASK, task_spend
    from policies.facts import EstablishFactsInput

from workflows import options
from workflows.task_state import TaskState


async def establish(state: TaskState, spec: ToolSpec, action: ProposedAction) -> Facts:
    """The facts of `action` (its arguments as the tool will run them). When they cannot be
    established, facts that say so: the policy then relaxes nothing."""
    context = state.context
    assert context is not None
    policy = context.policy.policy
    rule = policy.tools.get(action.tool)
    budgets = {name: b for name, b in policy.budgets.items() if action.tool in b.tools}
    amount_args = {tool: r.amount_arg for tool, r in policy.tools.items() if r.amount_arg is not None}
    executed = [(e.spec.name, e.args) for e in state.tools.executed if not e.undone]
    task = state.task
    request = EstablishFactsInput(
        task_id=task.task_id,
        task_kind=task.kind,
        subject=task.subject,
        tool=action.tool,
        args=action.args,
        binds=spec.bindings,
        amount_arg=rule.amount_arg if rule is not None else None,
        currency_arg=rule.currency_arg if rule is not None else None,
        budgets=budgets,
        task_spent={
            name: task_spend(b, executed, amount_args) for name, b in budgets.items() if b.per == TASK
        },
        novelty_subject=policy.triggers.novelty_subject if policy.triggers.novelty is not None else None,
    )
    try:
        facts: Facts = await workflow.execute_activity(
            activity_names.ESTABLISH_FACTS,
            request,
            result_type=Facts,
            start_to_close_timeout=options.FACTS_TIMEOUT,
            heartbeat_timeout=options.FACTS_HEARTBEAT,
            retry_policy=options.FACTS_RETRY,
            summary=f"facts of step {action.step}: {action.tool}",
        )
    except ActivityError as err:
        return Facts(problems=[f"facts could not be established: {err.cause or err}"])
    return facts
