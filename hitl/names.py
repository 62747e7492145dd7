"""Names shared by workflows, workers and clients: task queues, messages, workflow types.

These strings are part of the wire contract (they appear in histories, CLI commands and the
Web UI). Never rename one without a migration plan.
"""

AGENT_TASK_QUEUE = "hitl-agent"
"""Workflows, agent activities, tools, undo and audit writes."""
NOTIFY_TASK_QUEUE = "hitl-notify"
"""Notification activities only, served by the notification worker."""
NOTIFY_CHANNELS = ("console", "slack", "email", "webhook")
"""Channels with a task queue of their own (`channel_queue`): its rate limit is enforced by the
Temporal server, so it holds across every notification worker replica."""


def channel_queue(notify_queue: str, channel: str) -> str:
    """The task queue of a channel's notices: `<notify_queue>-<channel>` for the channels in
    `NOTIFY_CHANNELS`, `notify_queue` itself for any other (the worker falls back to its default)."""
    return f"{notify_queue}-{channel}" if channel in NOTIFY_CHANNELS else notify_queue


AGENT_TASK_WORKFLOW = "AgentTaskWorkflow"
CONFIG_CHANGE_WORKFLOW = "ConfigChangeWorkflow"
OPENAI_AGENTS_REFUND_WORKFLOW = "OpenAIAgentsRefundWorkflow"
LANGGRAPH_REFUND_WORKFLOW = "LangGraphRefundWorkflow"
LANGGRAPH_REFUND_GRAPH = "refund"
"""Name the LangGraph plugin registers the refund graph under."""

DECIDE = "decide"
"""Signal and update name that carries a `Decision`."""
NOT_READY = "not_ready"
"""The refusal code of an update that reached a run before it restored its state: send it again."""
PENDING_QUERY = "pending"
STATUS_QUERY = "status"
