"""An agent backed by any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, ...).

The model sees the task, the steps so far and the tools (their argument JSON schemas), and must
answer with exactly one function call: `propose_action` (a tool call with its reasoning,
sources, confidence and alternatives) or `finish`. The workflow validates the arguments against
the tool's model and the policy decides what happens: the model never acts on its own.

Errors are classified for Temporal's retries: rate limits, 5xx and timeouts retry; a rejected
request (bad key, unknown model) does not; an answer that is not one valid function call (arguments
as text, too large or too deeply nested) retries, since a sampled model may answer well the next
time. When the retries run out, the workflow opens an incident gate.
"""

import json
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, Field, ValidationError, field_validator
from temporalio.exceptions import ApplicationError

from hitl.contracts import (
    AgentTurn,
    ProposedAction,
    ProposeInput,
    ReviseInput,
    RiskSignals,
    StepRecord,
    ToolSpec,
    TurnKind,
)

AGENT_OUTPUT_INVALID = "AgentOutputInvalid"
AGENT_REQUEST_REJECTED = "AgentRequestRejected"
AGENT_UNAVAILABLE = "AgentUnavailable"


@dataclass(frozen=True)
class ChatEndpoint:
    """Where the model is and how to call it. The key never enters a payload or a log."""

    base_url: str
    model: str
    api_key: str = ""
    timeout_seconds: float = 60.0
    temperature: float = 0.0


MAX_ARGS_CHARS = 8_000
"""Largest tool arguments a model may propose (as JSON): larger ones are refused, never carried
into workflow history, audit rows and context cards."""
MAX_ARGS_DEPTH = 4
"""Deepest nesting of objects and lists in proposed arguments (tool arguments are flat records)."""

ShortText = Annotated[str, Field(max_length=2_000)]


class ProposalCall(BaseModel):
    """Arguments of the `propose_action` function the model calls.

    A model's answer is untrusted input: `args` must be a JSON object (not text), at most
    `MAX_ARGS_CHARS` long and `MAX_ARGS_DEPTH` deep, and every text field is bounded.
    """

    tool: str = Field(min_length=1, max_length=100)
    args: dict[str, Any] = Field(default_factory=dict)
    summary: ShortText = ""
    rationale: ShortText = ""
    sources: list[ShortText] = Field(default_factory=list, max_length=20)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    alternatives: list[ShortText] = Field(default_factory=list, max_length=10)
    recommendation: ShortText = ""
    question: ShortText | None = None
    signals: RiskSignals = Field(default_factory=RiskSignals)

    @field_validator("args")
    @classmethod
    def _bounded(cls, args: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(args, default=str))
        if size > MAX_ARGS_CHARS:
            raise ValueError(f"arguments are {size} characters of JSON; at most {MAX_ARGS_CHARS}")
        if _depth(args) > MAX_ARGS_DEPTH:
            raise ValueError(f"arguments nest deeper than {MAX_ARGS_DEPTH} levels")
        return args


def _depth(value: Any, limit: int = MAX_ARGS_DEPTH) -> int:
    """Nesting depth of objects and lists (a scalar is 0); stops counting past `limit`."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    if children is None:
        return 0
    if limit == 0:
        return 1
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


class FinishCall(BaseModel):
    """Arguments of the `finish` function."""

    message: str = ""


class ChatCompletionsAgent:
    """A `Planner` that asks a chat-completions model for the next action."""

    def __init__(self, endpoint: ChatEndpoint, tools: dict[str, ToolSpec], instructions: str) -> None:
        self._endpoint = endpoint
        self._tools = tools
        self._instructions = instructions

    async def propose(self, request: ProposeInput) -> AgentTurn:
        """Ask for the next action (or, when closing, a closing message)."""
        ask = (
            "The task is ending. Call `finish` with a short message to the requester explaining the outcome."
            if request.closing
            else "Call `propose_action` with the next step, or `finish` when the task is done."
        )
        messages = self._conversation(request.kind, request.subject, request.history, ask)
        return await self._turn(messages, request.next_step)

    async def revise(self, request: ReviseInput) -> AgentTurn:
        """Ask for a revision of an action a reviewer sent back."""
        ask = (
            f"A reviewer sent back your proposed action {request.action.model_dump_json(include={'tool', 'args'})} "
            f"with this comment: {request.comment!r}. Call `propose_action` with a revised action, "
            "or `finish` to withdraw it."
        )
        messages = self._conversation(request.kind, request.subject, request.history, ask)
        return await self._turn(messages, request.action.step)

    def _conversation(
        self, kind: str, subject: dict[str, Any], history: list[StepRecord], ask: str
    ) -> list[dict[str, str]]:
        steps = [h.model_dump(mode="json") for h in history]
        return [
            {"role": "system", "content": self._instructions},
            {
                "role": "user",
                "content": f"Task kind: {kind}\nSubject: {json.dumps(subject, sort_keys=True)}\n"
                f"Steps so far: {json.dumps(steps, sort_keys=True)}\n\n{ask}",
            },
        ]

    async def _turn(self, messages: list[dict[str, str]], step: int) -> AgentTurn:
        call = await self._complete(messages)
        name, arguments = call
        try:
            if name == "finish":
                return AgentTurn(kind=TurnKind.DONE, message=FinishCall.model_validate(arguments).message)
            if name != "propose_action":
                raise ValueError(f"unknown function {name!r}")
            proposal = ProposalCall.model_validate(arguments)
        except (ValidationError, ValueError) as err:
            raise ApplicationError(
                f"the model's call is not valid: {err}", type=AGENT_OUTPUT_INVALID
            ) from err
        fields = proposal.model_dump()
        return AgentTurn(kind=TurnKind.ACTION, action=ProposedAction(step=step, **fields))

    async def _complete(self, messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        return await call_function(self._endpoint, messages, self._functions())

    def _functions(self) -> list[dict[str, Any]]:
        catalogue = {
            name: {"description": spec.description, "args": spec.args_model.model_json_schema()}
            for name, spec in sorted(self._tools.items())
        }
        proposal_schema = ProposalCall.model_json_schema()
        proposal_schema["properties"]["tool"]["enum"] = sorted(self._tools)
        return [
            {
                "type": "function",
                "function": {
                    "name": "propose_action",
                    "description": "Propose the next tool call. Tools and their argument schemas: "
                    + json.dumps(catalogue, sort_keys=True),
                    "parameters": proposal_schema,
                },
            },
            {
                "type": "function",
                "function": {
                    "name": "finish",
                    "description": "End the task with a message to the requester.",
                    "parameters": FinishCall.model_json_schema(),
                },
            },
        ]


async def call_function(
    endpoint: ChatEndpoint, messages: list[dict[str, str]], functions: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """Ask the model to call one of `functions`; return the function's name and its arguments.

    Raises:
        ApplicationError: `AgentUnavailable` (unreachable, 429, 5xx: retryable),
            `AgentRequestRejected` (other 4xx: not retryable), `AgentOutputInvalid` (not one
            function call with a JSON object of arguments: retryable).
    """
    headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
    body = {
        "model": endpoint.model,
        "messages": messages,
        "tools": functions,
        "tool_choice": "required",
        "temperature": endpoint.temperature,
    }
    url = endpoint.base_url.rstrip("/") + "/chat/completions"
    try:
        async with httpx.AsyncClient(timeout=endpoint.timeout_seconds) as client:
            response = await client.post(url, json=body, headers=headers)
    except httpx.HTTPError as err:
        raise ApplicationError(f"cannot reach the model endpoint: {err!r}", type=AGENT_UNAVAILABLE) from err
    if response.status_code == 429 or response.status_code >= 500:
        raise ApplicationError(f"model endpoint answered {response.status_code}", type=AGENT_UNAVAILABLE)
    if response.status_code >= 400:
        raise ApplicationError(
            f"model endpoint refused the request ({response.status_code}): {response.text[:300]}",
            type=AGENT_REQUEST_REJECTED,
            non_retryable=True,
        )
    return _function_call(response)


def _function_call(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    try:
        message = response.json()["choices"][0]["message"]
        call = message["tool_calls"][0]["function"]
        arguments = call["arguments"]
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        if not isinstance(parsed, dict):
            raise TypeError("arguments are not a JSON object")
        return str(call["name"]), parsed
    except (ValueError, KeyError, IndexError, TypeError, RecursionError) as err:
        raise ApplicationError(
            f"the model did not answer with one function call: {err!r}"[:500], type=AGENT_OUTPUT_INVALID
        ) from err
