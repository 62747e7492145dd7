"""A LangGraph agent on `temporalio-langgraph`: tool calls through the gated tools node."""

from tests.workflow import framework_support as scenario
from tests.workflow.framework_support import FrameworkHarness, frameworks, frameworks_dev
from workflows.langgraph_refund import LangGraphRefundWorkflow

__all__ = ["frameworks", "frameworks_dev"]
AGENT = LangGraphRefundWorkflow


async def test_langgraph_approve(frameworks: FrameworkHarness) -> None:
    await scenario.approve_scenario(frameworks, AGENT)


async def test_langgraph_modify(frameworks: FrameworkHarness) -> None:
    await scenario.modify_scenario(frameworks, AGENT)


async def test_langgraph_reject_then_revise(frameworks: FrameworkHarness) -> None:
    await scenario.reject_scenario(frameworks, AGENT, "reject")


async def test_langgraph_sla_escalation(frameworks: FrameworkHarness) -> None:
    await scenario.escalation_scenario(frameworks, AGENT)


async def test_langgraph_worker_restart_while_gated(frameworks_dev: FrameworkHarness) -> None:
    await scenario.restart_scenario(frameworks_dev, AGENT)
