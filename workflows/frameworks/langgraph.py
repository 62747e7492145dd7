"""LangGraph agents behind the gate: a gated tools node, and every `interrupt()` answered at the gate.

```python
graph.add_node("tools", gated_tool_node, metadata={"execute_in": "workflow"})  # was ToolNode(tools)
...
final = await self.run_graph(graph.compile(checkpointer=InMemorySaver()), {"messages": [...]})
```

`gated_tool_node` takes the tool calls of the last AI message: each is judged by the policy,
waits for a reviewer when the policy says so and runs as the toolbox's tool (see
`workflows.frameworks.calls` for what the model is told). `run_graph` runs the compiled graph
and answers each `interrupt()` a node raises at the gate, then resumes the graph with the
decision:

- a LangChain human-in-the-loop request (`{"action_requests": [...], "review_configs": [...]}`)
  becomes one approval request per action, judged by the policy first (blocked actions are
  rejected, and an explicit interrupt always gets a human); the graph resumes with
  `{"decisions": [...]}` of type `approve`, `edit` (a `modify`), `reject` (with the reviewer's
  comment; also `request_changes`) or `respond` (an `answer`);
- any other value becomes a question, judged as the tool `interrupt` (the policy's
  `[tools.interrupt]` names who answers; without it the question is refused); the graph resumes
  with the answer, and a rejected or refused question ends the task as rejected.

Runs in the workflow, under `temporalio.langgraph.LangGraphPlugin` on the worker.
"""

import json
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
    from langgraph.graph import END, MessagesState
    from langgraph.types import Command

    from hitl.contracts import (
        FiredRule,
        GateResolution,
        Mode,
        Outcome,
        ProposedAction,
        RequestKind,
        StepStatus,
        TaskStatus,
        Verdict,
    )
    from hitl.contracts.verdict import MODE_ORDER

from workflows.frameworks.calls import FrameworkAgentWorkflow, HitlDecision, current
from workflows.task_state import TaskEnded

GRAPH_STEPS = 50
"""LangGraph supersteps per run (model and tool turns): a looping graph fails the task instead."""
TOOL_STATUS = {HitlDecision.REJECT: "error"}
"""ToolMessage status per decision; everything else is a `success`."""
ACTION_OUTCOMES = [Outcome.APPROVE, Outcome.MODIFY, Outcome.REJECT, Outcome.REQUEST_CHANGES, Outcome.ANSWER]
QUESTION_OUTCOMES = [Outcome.ANSWER, Outcome.REJECT]


async def gated_tool_node(state: MessagesState) -> dict[str, list[AnyMessage]]:
    """LangGraph node: the latest AI message's tool calls that no tool message answers yet (a
    review node may have answered some), each through the gate, as tool messages."""
    messages = state["messages"]
    at = next((i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], AIMessage)), None)
    if at is None:
        return {"messages": []}
    last = messages[at]
    assert isinstance(last, AIMessage)
    answered = {m.tool_call_id for m in messages[at + 1 :] if isinstance(m, ToolMessage)}
    calls = current().calls
    calls.reasoning = last.text
    replies: list[AnyMessage] = []
    for call in last.tool_calls:
        if call["id"] in answered:
            continue
        reply = await calls.call(call["name"], call["args"])
        replies.append(
            ToolMessage(
                content=reply.text,
                tool_call_id=call["id"],
                name=call["name"],
                status=TOOL_STATUS.get(reply.decision, "success"),
            )
        )
    return {"messages": replies}


async def tools_or_end(state: MessagesState) -> str:
    """Branch after the model: `"tools"` when its last message calls tools, else `END`.

    LangGraph's own `tools_condition` is synchronous, and LangGraph runs synchronous branches in
    a thread pool, which workflow code does not have: branches in a workflow are `async`.
    """
    last = state["messages"][-1] if state["messages"] else None
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else END


class LangGraphAgentWorkflow(FrameworkAgentWorkflow):
    """Base of workflows that run a LangGraph graph under the gate."""

    async def run_graph(self, app: Any, graph_input: Any) -> dict[str, Any]:
        """Run `app` (compiled with a checkpointer) to its end, answering interrupts at the gate.

        Raises:
            TaskEnded: A question was rejected, an incident aborted, or the graph failed.
        """
        config = {"configurable": {"thread_id": workflow.info().workflow_id}, "recursion_limit": GRAPH_STEPS}
        result: dict[str, Any] = await self.run_agent(app.ainvoke(graph_input, config))
        while result.get("__interrupt__"):
            resume = {found.id: await self.answer_interrupt(found.value) for found in result["__interrupt__"]}
            result = await self.run_agent(app.ainvoke(Command(resume=resume), config))
        return result

    async def answer_interrupt(self, value: Any) -> Any:
        """Ask the gate what an interrupt asks; returns the value the graph resumes with."""
        if isinstance(value, dict) and isinstance(value.get("action_requests"), list):
            return {"decisions": [await self._review(request) for request in value["action_requests"]]}
        question = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        resolution = await self._ask(
            RequestKind.QUESTION, ProposedAction(tool="interrupt", question=question), QUESTION_OUTCOMES
        )
        return resolution.answer or ""

    async def _review(self, request: Any) -> dict[str, Any]:
        """One action of a LangChain human-in-the-loop request, as a LangChain decision."""
        name, args = str(request.get("name", "")), request.get("args")
        action = ProposedAction(
            tool=name or "interrupt",
            args=args if isinstance(args, dict) else {},
            summary=str(request.get("description") or f"{name} (the graph asks for approval)"),
            rationale=self.calls.reasoning,
        )
        resolution = await self._ask(RequestKind.APPROVAL, action, ACTION_OUTCOMES)
        if resolution.outcome is Outcome.APPROVE:
            return {"type": HitlDecision.APPROVE.value}
        if resolution.outcome is Outcome.MODIFY:
            edited = {"name": name, "args": resolution.args or {}}
            return {"type": HitlDecision.EDIT.value, "edited_action": edited}
        if resolution.outcome is Outcome.ANSWER:
            return {"type": HitlDecision.RESPOND.value, "message": resolution.answer or ""}
        return {"type": HitlDecision.REJECT.value, "message": resolution.comment}

    async def _ask(self, kind: RequestKind, action: ProposedAction, allowed: list[Outcome]) -> GateResolution:
        """Open a gate request for an interrupt and settle it as a step (nothing executes here)."""
        state = self._running()
        action = action.model_copy(update={"step": len(state.steps)})
        verdict = self._interrupt_verdict(await self.flow.judge(action), kind)
        self.flow.record_proposal(action, verdict)
        if verdict.mode is Mode.BLOCK:
            why = "; ".join(r.text for r in verdict.reasons)
            state.settle(action, verdict, StepStatus.BLOCKED, action.args, detail=f"blocked: {why}")
            if kind is RequestKind.QUESTION:
                raise TaskEnded(TaskStatus.REJECTED, f"the graph's question was blocked: {why}")
            return GateResolution(
                request_id="", outcome=Outcome.REJECT, decided_by=["policy"], comment=f"blocked: {why}"
            )
        spec = self.toolbox.get(action.tool)
        resolution = await state.gate.ask(kind, action, verdict, allowed, spec.args_model if spec else None)
        by = ",".join(resolution.decided_by)
        status, detail = INTERRUPT_STEP[resolution.outcome]
        args = resolution.args if resolution.args is not None else action.args
        text = resolution.answer or resolution.comment
        state.settle(action, verdict, status, args, decided_by=by, detail=f"{detail}: {text}", feedback=text)
        if kind is RequestKind.QUESTION and resolution.outcome is Outcome.REJECT:
            raise TaskEnded(TaskStatus.REJECTED, resolution.comment or f"the question was rejected by {by}")
        return resolution

    def _interrupt_verdict(self, verdict: Verdict, kind: RequestKind) -> Verdict:
        """An explicit interrupt always gets a human: never less than an approval (or a question)."""
        floor = Mode.CLARIFY if kind is RequestKind.QUESTION else Mode.APPROVE
        if MODE_ORDER[verdict.mode] < MODE_ORDER[floor]:
            asked = FiredRule(id="interrupt.explicit", text="the graph asked for a human", mode=floor)
            return verdict.model_copy(update={"mode": floor, "reasons": [*verdict.reasons, asked]})
        return verdict


INTERRUPT_STEP = {
    Outcome.APPROVE: (StepStatus.CLARIFIED, "approved for the graph"),
    Outcome.MODIFY: (StepStatus.CLARIFIED, "edited for the graph"),
    Outcome.ANSWER: (StepStatus.CLARIFIED, "answered"),
    Outcome.REJECT: (StepStatus.REJECTED, "rejected"),
    Outcome.REQUEST_CHANGES: (StepStatus.SKIPPED, "changes requested"),
}
"""How an interrupt's step is recorded: the graph, not the gate, runs what was approved."""
