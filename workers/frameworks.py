"""The agent-framework plugins the agent worker runs with: Temporal's own integrations for the
OpenAI Agents SDK and LangGraph, pointed at the configured OpenAI-compatible endpoint.

Model calls run as activities on the agent worker (the plugins register them); the endpoint,
model name and key come from `AgentWorkerSettings` (`HITL_LLM_BASE_URL`, `HITL_LLM_MODEL`,
`HITL_LLM_API_KEY`) and never enter a payload.
"""

import dataclasses
from typing import Any

from agents import Model, ModelProvider, OpenAIChatCompletionsModel, set_tracing_disabled
from openai import AsyncOpenAI
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import EncodingPayloadConverter
from temporalio.langgraph import LangGraphPlugin
from temporalio.openai_agents import ModelActivityParameters, OpenAIAgentsPlugin, OpenAIPayloadConverter
from temporalio.plugin import SimplePlugin

from activities.agent.langgraph_model import ChatModelNode
from activities.tools.refund import REFUND_TOOLBOX
from activities.tools.schemas import function_schema
from hitl.names import LANGGRAPH_REFUND_GRAPH
from hitl.settings import AgentWorkerSettings
from workflows import options
from workflows.langgraph_refund import ASK_USER, build_refund_graph


class EndpointModels(ModelProvider):
    """Every model name the SDK asks for maps to the configured chat-completions endpoint."""

    def __init__(self, openai_client: AsyncOpenAI, model: str) -> None:
        self._client = openai_client
        self._model = model

    def get_model(self, model_name: str | None) -> Model:
        """The configured model (the agent's own model name is not sent anywhere else)."""
        del model_name
        return OpenAIChatCompletionsModel(model=self._model, openai_client=self._client)


def client(settings: AgentWorkerSettings) -> AsyncOpenAI:
    """An OpenAI client for the configured endpoint, with no retries of its own."""
    return AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() or "unset",
        max_retries=0,  # Temporal retries the model activity
    )


JSON = b"json/plain"


class _FrameworkJSON(EncodingPayloadConverter):
    """JSON for both frameworks: the OpenAI Agents SDK's types need unset fields left out (its
    input unions reject explicit nulls), LangGraph's messages need every field (a message without
    its `type` cannot be rebuilt). LangGraph's activity payloads are its own dataclasses, so
    they are told apart by type; reading is the OpenAI converter's (strict, then lenient)."""

    def __init__(self, openai_json: EncodingPayloadConverter) -> None:
        self._openai = openai_json
        self._full = PydanticJSONPlainPayloadConverter()

    @property
    def encoding(self) -> str:
        return self._openai.encoding

    def to_payload(self, value: Any) -> Payload | None:
        if type(value).__module__.startswith("temporalio.langgraph"):
            return self._full.to_payload(value)
        return self._openai.to_payload(value)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        return self._openai.from_payload(payload, type_hint)


class FrameworkPayloadConverter(OpenAIPayloadConverter):
    """The OpenAI Agents SDK's payload converter, with JSON that also keeps LangGraph whole."""

    def __init__(self) -> None:
        super().__init__()
        self.converters = {
            encoding: _FrameworkJSON(converter) if encoding == JSON else converter
            for encoding, converter in self.converters.items()
        }


def framework_client(client: Client) -> Client:
    """`client` with the payload converter both frameworks need; our contracts read the same
    either way, and any payload codec is kept."""
    config = client.config()
    config["data_converter"] = dataclasses.replace(
        client.data_converter, payload_converter_class=FrameworkPayloadConverter
    )
    return Client(**config)


def framework_plugins(settings: AgentWorkerSettings) -> list[SimplePlugin]:
    """The OpenAI Agents and LangGraph plugins, with fresh graphs (a plugin rewires the graph it
    is given, so each worker gets its own)."""
    # The SDK would export its traces to OpenAI's platform; ours go through OpenTelemetry.
    set_tracing_disabled(True)
    model_params = ModelActivityParameters(
        start_to_close_timeout=options.AGENT_TIMEOUT, retry_policy=options.AGENT_RETRY
    )
    endpoint = client(settings)
    tools = [*(function_schema(spec) for spec in REFUND_TOOLBOX.specs.values()), ASK_USER]
    graph = build_refund_graph(ChatModelNode(endpoint, settings.llm_model, tools).respond)
    return [
        OpenAIAgentsPlugin(
            model_params=model_params, model_provider=EndpointModels(endpoint, settings.llm_model)
        ),
        LangGraphPlugin(
            graphs={LANGGRAPH_REFUND_GRAPH: graph},
            default_activity_options={
                "start_to_close_timeout": options.AGENT_TIMEOUT,
                "retry_policy": options.AGENT_RETRY,
            },
        ),
    ]
