"""The chat-completions agent against a local fake endpoint: request shape and error classes."""

import pytest
from temporalio.exceptions import ApplicationError

from activities.agent.chat_completions import ChatCompletionsAgent, ChatEndpoint
from activities.agent.registry import REFUND_INSTRUCTIONS
from activities.tools.refund import REFUND_TOOLBOX
from hitl.contracts import AgentTurn, ProposedAction, ProposeInput, ReviseInput, StepRecord, TurnKind
from tests.fake_chat_server import FakeChatServer, Respond, function_call, refund_script

SUBJECT = {"order_id": "A-1", "amount": 60}


def agent(server: FakeChatServer, key: str = "sk-test") -> ChatCompletionsAgent:
    endpoint = ChatEndpoint(base_url=server.base_url, model="test-model", api_key=key)
    tools = {name: REFUND_TOOLBOX.specs[name] for name in ("lookup_order", "issue_refund")}
    return ChatCompletionsAgent(endpoint, tools, REFUND_INSTRUCTIONS)


async def propose(
    respond: Respond, history: list[StepRecord] | None = None
) -> tuple[AgentTurn, FakeChatServer]:
    server = FakeChatServer(respond)
    with server.running():
        turn = await agent(server).propose(
            ProposeInput(task_id="t", kind="refund", subject=SUBJECT, history=history or [], next_step=1)
        )
    return turn, server


async def test_a_function_call_becomes_a_proposed_action() -> None:
    history = [
        StepRecord(step=0, tool="lookup_order", status="executed", output={"order_id": "A-1", "total": 90})
    ]
    turn, server = await propose(refund_script, history)
    assert turn == AgentTurn(
        kind=TurnKind.ACTION,
        action=ProposedAction(
            step=1,
            tool="issue_refund",
            args={"order_id": "A-1", "amount": 60, "currency": "USD"},
            summary="Refund 60 USD",
            rationale="the customer returned the item",
            sources=["order record"],
            confidence=0.82,
            alternatives=["store credit"],
            recommendation="approve",
        ),
    )
    body = server.requests[0]
    assert (body["model"], body["tool_choice"], body["temperature"]) == ("test-model", "required", 0.0)
    assert [t["function"]["name"] for t in body["tools"]] == ["propose_action", "finish"]
    assert body["tools"][0]["function"]["parameters"]["properties"]["tool"]["enum"] == [
        "issue_refund",
        "lookup_order",
    ]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


async def test_finish_ends_the_task() -> None:
    turn, _ = await propose(lambda body: (200, function_call("finish", {"message": "nothing to do"})))
    assert turn == AgentTurn(kind=TurnKind.DONE, message="nothing to do")


async def test_revise_sends_the_reviewers_comment() -> None:
    server = FakeChatServer(lambda body: (200, function_call("finish", {"message": "withdrawn"})))
    action = ProposedAction(step=1, tool="issue_refund", args={"order_id": "A-1", "amount": 60})
    with server.running():
        turn = await agent(server).revise(
            ReviseInput(task_id="t", kind="refund", subject=SUBJECT, action=action, comment="only 30")
        )
    assert turn.kind is TurnKind.DONE
    assert "with this comment: 'only 30'" in server.requests[0]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("status", "payload", "error_type", "non_retryable"),
    [
        (500, {"error": "boom"}, "AgentUnavailable", False),
        (429, {"error": "slow down"}, "AgentUnavailable", False),
        (401, {"error": "bad key"}, "AgentRequestRejected", True),
        (200, "not json", "AgentOutputInvalid", False),
        (
            200,
            {"choices": [{"message": {"content": "I think we should refund"}}]},
            "AgentOutputInvalid",
            False,
        ),
        (200, function_call("delete_everything", {}), "AgentOutputInvalid", False),
        (
            200,
            function_call("propose_action", {"tool": "issue_refund", "confidence": 7}),
            "AgentOutputInvalid",
            False,
        ),
    ],
)
async def test_errors_are_classified_for_temporal_retries(
    status: int, payload: object, error_type: str, non_retryable: bool
) -> None:
    with pytest.raises(ApplicationError) as raised:
        await propose(lambda body: (status, payload))
    assert (raised.value.type, raised.value.non_retryable) == (error_type, non_retryable)


async def test_an_unreachable_endpoint_is_retryable() -> None:
    endpoint = ChatEndpoint(base_url="http://127.0.0.1:9/v1", model="m", timeout_seconds=2)
    with pytest.raises(ApplicationError) as raised:
        await ChatCompletionsAgent(endpoint, {}, "").propose(
            ProposeInput(task_id="t", kind="refund", subject=SUBJECT)
        )
    assert (raised.value.type, raised.value.non_retryable) == ("AgentUnavailable", False)
