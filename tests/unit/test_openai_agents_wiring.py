"""`gate_agent` wraps an OpenAI Agents SDK agent's tool list and nothing else (no Temporal needed)."""

import pytest
from agents import Agent, FunctionTool, WebSearchTool, function_tool

from activities.tools.refund import REFUND_TOOLBOX
from workflows.frameworks.openai_sdk import ReasoningHooks, _invoke_gated, gate_agent, gated_tools


@function_tool(needs_approval=True)
def issue_refund(order_id: str, amount: float) -> str:
    """Refund part or all of an order."""
    return f"refunded {amount} on {order_id}"


def test_openai_agents_gate_agent_routes_every_function_tool_through_the_gate() -> None:
    agent = Agent(name="Refunds", instructions="Refund politely.", tools=[issue_refund])
    gated = gate_agent(agent)
    [tool] = gated.tools
    assert isinstance(tool, FunctionTool)
    assert (tool.name, tool.params_json_schema, tool.needs_approval) == (
        "issue_refund",
        issue_refund.params_json_schema,
        False,
    )
    assert tool.on_invoke_tool is _invoke_gated
    assert (gated.instructions, isinstance(gated.hooks, ReasoningHooks)) == ("Refund politely.", True)
    assert agent.tools == [issue_refund]  # the team's agent itself is left as it was


def test_openai_agents_hosted_tools_cannot_be_gated() -> None:
    with pytest.raises(TypeError, match="WebSearchTool runs outside the workflow"):
        gate_agent(Agent(name="Researcher", tools=[WebSearchTool()]))


def test_openai_agents_gated_tools_describe_the_toolbox() -> None:
    tools = gated_tools(REFUND_TOOLBOX)
    assert [t.name for t in tools] == ["close_ticket", "email_customer", "issue_refund", "lookup_order"]
    refund = next(t for t in tools if isinstance(t, FunctionTool) and t.name == "issue_refund")
    assert isinstance(refund, FunctionTool)
    assert refund.params_json_schema["required"] == ["order_id", "amount"]
