"""A LangGraph agent on `temporalio-langgraph`: tool calls through the gated tools node."""

from hitl.contracts import Outcome, StepStatus, TaskResult, TaskStatus
from tests.support import unique
from tests.workflow import framework_support as scenario
from tests.workflow.conftest import Handle
from tests.workflow.framework_support import FrameworkHarness, frameworks, frameworks_dev, steps, tool_results
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


async def verdicts(h: FrameworkHarness, handle: Handle) -> list[tuple[int, str, list[str]]]:
    rows = await h.pool.fetch(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'verdict' ORDER BY chain_pos", handle.id
    )
    return [(r["data"]["step"], r["data"]["mode"], [f["id"] for f in r["data"]["rules"]]) for r in rows]


async def emails_of(h: FrameworkHarness, order_id: str) -> list[tuple[str, str]]:
    rows = await h.pool.fetch("SELECT subject, body FROM shop.emails WHERE order_id = $1", order_id)
    return [(r["subject"], r["body"]) for r in rows]


async def test_langgraph_interrupt_edit_resumes_the_graph_with_the_edited_call(
    frameworks: FrameworkHarness,
) -> None:
    """The graph's own review interrupt goes to our gate; `modify` resumes it as an `edit`."""
    h = frameworks
    handle = await h.framework_task(AGENT, 40, email_to=f"{unique('kim')}@example.com")
    request = await h.wait_request(handle, "approval-2")
    assert (request.action.tool, request.action.summary, request.assignees) == (
        "email_customer",
        "Send email_customer?",
        ["support-leads"],
    )
    await h.decide(handle, outcome="modify", reviewer="alice", patch={"body": "We refunded 40 USD."})
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPLETED,
        [
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", StepStatus.EXECUTED, None),
            ("email_customer", StepStatus.CLARIFIED, "alice"),
            ("email_customer", StepStatus.EXECUTED, None),
            ("close_ticket", StepStatus.EXECUTED, None),
        ],
    )
    order_id = result.steps[0].args["order_id"]
    assert await emails_of(h, order_id) == [("Your refund", "We refunded 40 USD.")]
    # The policy lets emails run alone; the graph's own interrupt still gets a human, on record.
    assert (await verdicts(h, handle))[2:4] == [
        (2, "approve", ["tier.low_risk_write", "confidence.high", "interrupt.explicit"]),
        (3, "auto", ["tier.low_risk_write", "confidence.high"]),
    ]


async def test_langgraph_interrupt_answer_resumes_the_graph_with_a_response(
    frameworks: FrameworkHarness,
) -> None:
    """An `answer` at the gate is LangChain's `respond`: the call is answered, never run."""
    h = frameworks
    handle = await h.framework_task(AGENT, 40, email_to=f"{unique('kim')}@example.com")
    await h.wait_request(handle, "approval-2")
    await h.decide(handle, outcome="answer", reviewer="alice", answer="I phoned the customer instead.")
    result: TaskResult = await handle.result()
    assert [(s.tool, s.status) for s in result.steps][2:] == [
        ("email_customer", StepStatus.CLARIFIED),
        ("close_ticket", StepStatus.EXECUTED),
    ]
    assert tool_results(h.server)[2] == "I phoned the customer instead."
    assert await emails_of(h, result.steps[0].args["order_id"]) == []


QUESTIONS = {
    "[tools.lookup_order]": '[tools.interrupt]\ntier = "read_only"\nladder = "refunds"\n\n[tools.lookup_order]'
}
"""A policy variant that names who answers a graph's questions."""


async def test_langgraph_plain_interrupt_is_a_question_the_graph_resumes_with(
    frameworks: FrameworkHarness,
) -> None:
    """An `interrupt(question)` in a node asks the gate; the answer is what `interrupt()` returns."""
    h = frameworks
    policy = h.refund_policy("refund_questions", QUESTIONS)
    handle = await h.framework_task(AGENT, 250, policy=policy, ask="How much should be refunded?")
    request = await h.wait_request(handle, "question-0")
    assert (request.action.tool, request.action.question, request.allowed_outcomes, request.assignees) == (
        "interrupt",
        "How much should be refunded?",
        [Outcome.ANSWER, Outcome.REJECT],
        ["support-leads"],
    )
    await h.decide(handle, outcome="answer", reviewer="alice", answer="Refund 60, the rest is store credit.")
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPLETED,
        [
            ("interrupt", StepStatus.CLARIFIED, "alice"),
            ("lookup_order", StepStatus.EXECUTED, None),
            ("issue_refund", StepStatus.EXECUTED, None),
            ("close_ticket", StepStatus.EXECUTED, None),
        ],
    )
    assert result.steps[2].args["amount"] == 60.0
    assert (await verdicts(h, handle))[0] == (
        0,
        "clarify",
        ["tier.read_only", "facts.missing", "intent.ambiguous"],
    )


async def test_langgraph_question_without_a_policy_rule_is_refused(frameworks: FrameworkHarness) -> None:
    """With no `[tools.interrupt]` rule nobody is named to answer: the task ends, recorded."""
    h = frameworks
    handle = await h.framework_task(AGENT, 250, ask="How much should be refunded?")
    result: TaskResult = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.REJECTED,
        [("interrupt", StepStatus.BLOCKED, None)],
    )
    assert result.reason == "the graph's question was blocked: 'interrupt' is not in the policy"
