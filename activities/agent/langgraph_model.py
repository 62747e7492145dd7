"""The model node of the LangGraph refund agent: one chat-completions call with the tools bound.

`temporalio.langgraph.LangGraphPlugin` runs this node as an activity (`refund.model`): the graph's
messages arrive serialized, the model's answer (text and tool calls) goes back as an AI message.
Errors are classified for Temporal's retries: rate limits, 5xx and timeouts retry; a refused
request (bad key, unknown model) does not. The client has no retries of its own.
"""

import json
from typing import Any

import openai
from langchain_core.messages import AIMessage, convert_to_messages, convert_to_openai_messages
from langgraph.graph import MessagesState
from temporalio.exceptions import ApplicationError

from activities.agent.chat_completions import AGENT_REQUEST_REJECTED, AGENT_UNAVAILABLE


class ChatModelNode:
    """A LangGraph node calling an OpenAI-compatible endpoint with `tools` bound."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, tools: list[dict[str, Any]]) -> None:
        """Args:
        client: Client for the endpoint (`max_retries=0`: Temporal retries the activity).
        model: Model name the endpoint serves.
        tools: OpenAI function descriptions (`activities.tools.schemas.function_schema`).
        """
        self._client = client
        self._model = model
        self._tools: Any = [{"type": "function", "function": tool} for tool in tools]

    async def respond(self, state: MessagesState) -> dict[str, list[AIMessage]]:
        """The model's next message given the conversation so far."""
        messages: Any = convert_to_openai_messages(convert_to_messages(state["messages"]))
        try:
            completion = await self._client.chat.completions.create(
                model=self._model, messages=messages, tools=self._tools, temperature=0
            )
        except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as err:
            raise ApplicationError(f"model endpoint unavailable: {err}", type=AGENT_UNAVAILABLE) from err
        except openai.APIStatusError as err:
            raise ApplicationError(
                f"model endpoint refused the request ({err.status_code})",
                type=AGENT_REQUEST_REJECTED,
                non_retryable=True,
            ) from err
        message = completion.choices[0].message
        tool_calls = [
            {"name": call.function.name, "args": _arguments(call.function.arguments), "id": call.id}
            for call in message.tool_calls or []
            if call.type == "function"
        ]
        return {"messages": [AIMessage(content=message.content or "", tool_calls=tool_calls)]}


def _arguments(raw: str) -> dict[str, Any]:
    """The call's arguments; text that is not a JSON object is kept for the gate to refuse."""
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {"arguments": raw}
    return parsed if isinstance(parsed, dict) else {"arguments": parsed}
