"""OpenAI Agents SDK agents behind the gate: wrap the agent's tool list, nothing else.

```python
agent = gate_agent(Agent(name="Refunds", instructions="...", tools=[lookup_order, issue_refund]))
result = await self.run_agent(Runner.run(agent, prompt))
```

`gate_agent` keeps the agent as written (instructions, model, handoffs) and replaces each of its
function tools by one that proposes the call to the gate: the policy judges it, the gate waits
for a reviewer when it says so, and the tool declared under that name in the toolbox runs (as
an activity, with its idempotency key and undo). A tool the toolbox does not declare is refused
by the policy like any unknown tool. `gated_tools(toolbox)` builds the tools straight from the
toolbox for a new agent. The model's text beside its tool calls becomes the card's reasoning.
Runs in the workflow, under `temporalio.openai_agents.OpenAIAgentsPlugin` on the worker.
"""

import dataclasses
import json
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from agents import Agent, AgentHooks, FunctionTool, ModelResponse, RunContextWrapper, Tool
    from agents.tool_context import ToolContext
    from openai.types.responses import ResponseOutputMessage, ResponseReasoningItem

    from activities.tools.schemas import function_schema
    from activities.tools.toolset import Toolbox

from workflows.frameworks.calls import current


async def _invoke_gated(context: ToolContext[Any], arguments: str) -> str:
    """A gated tool's body: propose the call, return what became of it."""
    try:
        args: Any = json.loads(arguments or "{}")
    except ValueError:
        # Not JSON: the tool's argument model refuses it, and the refusal is recorded.
        args = arguments
    reply = await current().calls.call(context.tool_name, args)
    return reply.text


def gated_tools(toolbox: Toolbox) -> list[Tool]:
    """Every tool of `toolbox` as an SDK function tool that goes through the gate."""
    tools: list[Tool] = []
    for name in toolbox.names():
        schema = function_schema(toolbox.specs[name])
        tools.append(
            FunctionTool(
                name=name,
                description=schema["description"],
                params_json_schema=schema["parameters"],
                on_invoke_tool=_invoke_gated,
                strict_json_schema=False,
            )
        )
    return tools


def gate_agent(agent: Agent[Any]) -> Agent[Any]:
    """A copy of `agent` whose function tools go through the gate (see the module docstring);
    the tools run by name from the workflow's toolbox.

    Raises:
        TypeError: The agent has a tool that runs outside the workflow (a hosted tool), which
            the gate could not stop.
    """
    tools: list[Tool] = []
    for tool in agent.tools:
        if not isinstance(tool, FunctionTool):
            raise TypeError(f"{type(tool).__name__} runs outside the workflow and cannot be gated")
        tools.append(dataclasses.replace(tool, on_invoke_tool=_invoke_gated, needs_approval=False))
    hooks = agent.hooks if agent.hooks is not None else ReasoningHooks()
    return agent.clone(tools=tools, hooks=hooks)


class ReasoningHooks(AgentHooks[Any]):
    """Keeps the model's latest text and reasoning summary for the gate's cards."""

    async def on_llm_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse
    ) -> None:
        """Note what the model said beside its tool calls."""
        del context, agent
        text = reasoning_of(response)
        if text:
            current().calls.reasoning = text


def reasoning_of(response: ModelResponse) -> str:
    """The model's message text and reasoning summaries in one response."""
    parts: list[str] = []
    for item in response.output:
        if isinstance(item, ResponseReasoningItem):
            parts += [summary.text for summary in item.summary]
        elif isinstance(item, ResponseOutputMessage):
            parts += [c.text for c in item.content if c.type == "output_text"]
    return "\n".join(p for p in parts if p)
