"""Which record source establishes the facts of which task kind, and which sentiment classifier
reads customers' messages, from settings."""

import asyncpg

from activities.agent.chat_completions import ChatEndpoint
from activities.facts.establish import FactActivities
from activities.facts.sentiment import ChatSentiment, Classifier, KeywordSentiment
from activities.facts.shop import ShopOrders
from hitl.settings import AgentWorkerSettings


def fact_activities(pool: asyncpg.Pool, settings: AgentWorkerSettings) -> FactActivities:
    """Refund tasks read their order; other kinds their subject. Sentiment by keywords, or by the
    model at `HITL_SENTIMENT_BASE_URL` when one is configured."""
    classifier: Classifier = KeywordSentiment()
    if settings.sentiment_base_url:
        endpoint = ChatEndpoint(
            base_url=settings.sentiment_base_url,
            model=settings.sentiment_model,
            api_key=settings.sentiment_api_key.get_secret_value(),
        )
        classifier = ChatSentiment(endpoint)
    return FactActivities(pool, {"refund": ShopOrders()}, classifier)
