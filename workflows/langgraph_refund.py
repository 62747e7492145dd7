"""`LangGraphRefundWorkflow`: a refund agent written as a LangGraph graph, behind the gate.

The graph is the usual tool-calling loop (model -> tools -> model until the model stops calling
tools); the only wiring is the gated tools node in place of `ToolNode(tools)`. The worker runs
it with `temporalio.langgraph.LangGraphPlugin`: the model node is an activity, the tools node
runs in the workflow, where each call is judged by the policy and waits for a reviewer when the
policy says so. All I/O happens in activities.
"""

import json
from collections.abc import Awaitable
from typing import Any, Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from langchain_core.messages import (
        AIMessage,
        AnyMessage,
        HumanMessage,
        SystemMessage,
        ToolCall,
        ToolMessage,
    )
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.types import interrupt
    from temporalio.langgraph import graph

    from activities.tools.refund import REFUND_TOOLBOX
    from hitl.contracts import AgentTaskInput, TaskResult
    from hitl.names import LANGGRAPH_REFUND_GRAPH, LANGGRAPH_REFUND_WORKFLOW

from workflows.frameworks.langgraph import LangGraphAgentWorkflow, gated_tool_node, tools_or_end

INSTRUCTIONS = (
    "You resolve customer refund requests. Look the order up first, refund what the customer "
    "asks for if the order allows it, then close the ticket. If a reviewer rejects or edits a "
    "call, follow their comment. Finish with one sentence for the requester."
)


class ModelNode(Protocol):
    """The model node: the conversation in, the model's next message out."""

    def __call__(self, state: MessagesState) -> Awaitable[dict[str, Any]]: ...


ASK_USER: dict[str, Any] = {
    "name": "ask_user",
    "description": "Ask the requester a question when the request is unclear; their answer is the result.",
    "parameters": {
        "type": "object",
        "properties": {"question": {"type": "string"}},
        "required": ["question"],
    },
}
"""The team's "ask the user" tool: the review node answers it with an `interrupt()`."""

INTERRUPT_ON = {"email_customer": ["approve", "edit", "reject", "respond"]}
"""The team's own human-in-the-loop setting (as `HumanInTheLoopMiddleware(interrupt_on=...)`
would hold it): emails to customers are shown to a human before they go out."""


async def review_tool_calls(state: MessagesState) -> dict[str, list[AnyMessage]]:
    """The team's review node: answers `ask_user` calls with a plain `interrupt(question)`, and
    interrupts with a LangChain human-in-the-loop request for the calls `INTERRUPT_ON` names,
    applying the decisions it resumes with (edited arguments replace the call's; a rejection or
    a response answers the call). The tools node skips the calls answered here."""
    last = state["messages"][-1]
    if not isinstance(last, AIMessage):
        return {"messages": []}
    answers: list[AnyMessage] = [
        ToolMessage(str(interrupt(str(call["args"].get("question", "")))), tool_call_id=call["id"])
        for call in last.tool_calls
        if call["name"] == ASK_USER["name"]
    ]
    asked = [call for call in last.tool_calls if call["name"] in INTERRUPT_ON]
    if not asked:
        return {"messages": answers}
    response = interrupt(
        {
            "action_requests": [
                {"name": c["name"], "args": c["args"], "description": f"Send {c['name']}?"} for c in asked
            ],
            "review_configs": [
                {"action_name": c["name"], "allowed_decisions": INTERRUPT_ON[c["name"]]} for c in asked
            ],
        }
    )
    decided = dict(zip((c["id"] for c in asked), response["decisions"], strict=True))
    calls: list[ToolCall] = []
    for call in last.tool_calls:
        decision = decided.get(call["id"], {"type": "approve"})
        edited = decision["type"] == "edit"
        calls.append({**call, "args": decision["edited_action"]["args"]} if edited else call)
        if decision["type"] in ("reject", "respond"):
            status = "error" if decision["type"] == "reject" else "success"
            answers.append(ToolMessage(decision.get("message") or "", tool_call_id=call["id"], status=status))
    revised = AIMessage(content=last.content, tool_calls=calls, id=last.id)
    return {"messages": [revised, *answers]}


def build_refund_graph(model: ModelNode) -> StateGraph[Any, Any, Any, Any]:
    """The team's graph; `model` calls their model (an activity under the plugin). The only
    wiring for the gate is `gated_tool_node` where `ToolNode(tools)` was."""
    builder = StateGraph(MessagesState)
    builder.add_node("model", model, metadata={"execute_in": "activity"})
    builder.add_node("review", review_tool_calls, metadata={"execute_in": "workflow"})
    builder.add_node("tools", gated_tool_node, metadata={"execute_in": "workflow"})
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", tools_or_end, {"tools": "review", END: END})
    builder.add_edge("review", "tools")
    builder.add_edge("tools", "model")
    return builder


@workflow.defn(name=LANGGRAPH_REFUND_WORKFLOW)
class LangGraphRefundWorkflow(LangGraphAgentWorkflow):
    """Runs the refund graph on one task; tool calls and interrupts go to the gate."""

    toolbox = REFUND_TOOLBOX

    @workflow.run
    async def run(self, task: AgentTaskInput) -> TaskResult:
        """Run the graph to its end."""
        return await self.run_task(task, self._agent(task))

    async def _agent(self, task: AgentTaskInput) -> str:
        app = graph(LANGGRAPH_REFUND_GRAPH).compile(checkpointer=InMemorySaver())
        request = f"Refund request: {json.dumps(task.subject, sort_keys=True)}"
        final = await self.run_graph(app, {"messages": [SystemMessage(INSTRUCTIONS), HumanMessage(request)]})
        return str(final["messages"][-1].text)
