"""`OpenAIAgentsRefundWorkflow`: a refund agent written with the OpenAI Agents SDK, behind the gate.

The agent is plain SDK code; the only wiring is `gate_agent()` around it. The worker runs it
with `temporalio.openai_agents.OpenAIAgentsPlugin` (model calls become activities). Each tool
call the model makes is judged by the task's policy and, when the policy says so, waits for a
reviewer; a rejected call comes back to the model with the reviewer's comment, and the model
revises. All I/O happens in activities.
"""

import json

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from agents import Agent, ModelSettings, Runner

    from activities.tools.refund import REFUND_TOOLBOX
    from hitl.contracts import AgentTaskInput, TaskResult
    from hitl.names import OPENAI_AGENTS_REFUND_WORKFLOW

from workflows.frameworks.calls import FrameworkAgentWorkflow
from workflows.frameworks.openai_sdk import gate_agent, gated_tools

INSTRUCTIONS = (
    "You resolve customer refund requests. Look the order up first, refund what the customer "
    "asks for if the order allows it, then close the ticket. If a reviewer rejects or edits a "
    "call, follow their comment. Finish with one sentence for the requester."
)
MAX_TURNS = 12
"""Model turns per task: a runaway agent fails the task instead of looping."""


def refund_agent() -> Agent[None]:
    """The team's agent, as the SDK writes it."""
    return Agent(
        name="Refund agent",
        instructions=INSTRUCTIONS,
        tools=gated_tools(REFUND_TOOLBOX),
        # Explicit settings: the SDK's defaults depend on an environment variable (not something
        # workflow code may read) and add GPT-5-only parameters other endpoints refuse.
        model_settings=ModelSettings(),
    )


@workflow.defn(name=OPENAI_AGENTS_REFUND_WORKFLOW)
class OpenAIAgentsRefundWorkflow(FrameworkAgentWorkflow):
    """Runs the SDK agent on one refund task; every tool call goes through the gate."""

    toolbox = REFUND_TOOLBOX

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the agent to its final answer."""
        return await self.run_task(task, self._agent(task))

    async def _agent(self, task: AgentTaskInput) -> str:
        prompt = f"Refund request: {json.dumps(task.subject, sort_keys=True)}"
        result = await self.run_agent(Runner.run(gate_agent(refund_agent()), prompt, max_turns=MAX_TURNS))
        return str(result.final_output)
