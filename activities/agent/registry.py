"""Which agent plans which task kind, from settings."""

from activities.agent.chat_completions import ChatCompletionsAgent, ChatEndpoint
from activities.agent.planner import Planner
from activities.agent.refund_rules import RefundRulesAgent
from activities.tools.refund import REFUND_TOOLBOX
from hitl.settings import AgentWorkerSettings

REFUND_INSTRUCTIONS = (
    "You are a customer-support agent handling a refund request. Look the order up first, refund "
    "no more than what is left on the order, email the customer, close the ticket, then finish. "
    "Give your reasoning, the records you relied on, and an honest confidence between 0 and 1. "
    "If it is unclear what the customer wants, set `question` instead of guessing. A policy and "
    "human reviewers decide whether each action runs."
)


def planners(settings: AgentWorkerSettings) -> dict[str, Planner]:
    """The rules-based refund agent, or the model agent when an endpoint is configured."""
    if settings.llm_base_url:
        endpoint = ChatEndpoint(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value(),
        )
        return {"refund": ChatCompletionsAgent(endpoint, REFUND_TOOLBOX.specs, REFUND_INSTRUCTIONS)}
    return {"refund": RefundRulesAgent()}
