"""An OpenAI Agents SDK agent on `temporalio-openai-agents`, every tool call through the gate."""

from decimal import Decimal

from hitl.contracts import StepStatus, TaskResult, TaskStatus
from tests.workflow import framework_support as scenario
from tests.workflow.framework_support import (
    CLOSE_GATED,
    FrameworkHarness,
    frameworks,
    frameworks_dev,
    refunds_of,
    steps,
    tool_results,
)
from workflows.openai_agents_refund import OpenAIAgentsRefundWorkflow

__all__ = ["frameworks", "frameworks_dev"]
AGENT = OpenAIAgentsRefundWorkflow


async def test_openai_agents_approve(frameworks: FrameworkHarness) -> None:
    await scenario.approve_scenario(frameworks, AGENT)


async def test_openai_agents_modify(frameworks: FrameworkHarness) -> None:
    await scenario.modify_scenario(frameworks, AGENT)


async def test_openai_agents_reject_then_revise(frameworks: FrameworkHarness) -> None:
    await scenario.reject_scenario(frameworks, AGENT, "reject")


async def test_openai_agents_request_changes_then_revise(frameworks: FrameworkHarness) -> None:
    await scenario.reject_scenario(frameworks, AGENT, "request_changes")


async def test_openai_agents_sla_escalation(frameworks: FrameworkHarness) -> None:
    await scenario.escalation_scenario(frameworks, AGENT)


async def test_openai_agents_worker_restart_while_gated(frameworks_dev: FrameworkHarness) -> None:
    await scenario.restart_scenario(frameworks_dev, AGENT)


async def test_openai_agents_cancel_compensates_executed_tools(frameworks: FrameworkHarness) -> None:
    h = frameworks
    handle = await h.framework_task(AGENT, 40, policy=h.refund_policy("refund_close_gated", CLOSE_GATED))
    await h.wait_request(handle, "approval-2")
    await handle.cancel()
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPENSATED,
        [
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", StepStatus.COMPENSATED, None),
        ],
    )
    assert await refunds_of(h, handle) == [(Decimal("40.00"), "reversed")]


async def test_openai_agents_invalid_arguments_are_refused_and_told_to_the_model(
    frameworks: FrameworkHarness,
) -> None:
    h = frameworks
    handle = await h.framework_task(AGENT, -5)
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPLETED,
        [("lookup_order", StepStatus.EXECUTED, None), ("issue_refund", StepStatus.FAILED, None)],
    )
    told = tool_results(h.server)[1]
    assert told.startswith("This call could not run: invalid arguments for issue_refund: ")
    assert result.message == f"I could not refund: {told}"


async def test_openai_agents_framework_error_fails_the_task_not_the_workflow(
    frameworks: FrameworkHarness,
) -> None:
    h = frameworks
    handle = await h.framework_task(AGENT, 40, reuse_call_ids=True)
    result: TaskResult = await handle.result()
    assert (result.status, result.reason) == (
        TaskStatus.FAILED,
        "the agent failed: ModelBehaviorError: Model reused a completed tool call ID for a different"
        " invocation. Use a unique call ID for each tool invocation.",
    )
    assert steps(result) == [("lookup_order", StepStatus.EXECUTED, None)]
