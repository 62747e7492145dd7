"""Names shared by workflows, workers and clients: task queues, messages, workflow types.

These strings are part of the wire contract (they appear in histories, CLI commands and the
Web UI). Never rename one without a migration plan.
"""

AGENT_TASK_QUEUE = "hitl-agent"
"""Workflows, agent activities, tools, undo and audit writes."""
NOTIFY_TASK_QUEUE = "hitl-notify"
"""Notification activities only, served by the notification worker."""

AGENT_TASK_WORKFLOW = "AgentTaskWorkflow"
CONFIG_CHANGE_WORKFLOW = "ConfigChangeWorkflow"
OPENAI_AGENTS_REFUND_WORKFLOW = "OpenAIAgentsRefundWorkflow"
LANGGRAPH_REFUND_WORKFLOW = "LangGraphRefundWorkflow"
LANGGRAPH_REFUND_GRAPH = "refund"
"""Name the LangGraph plugin registers the refund graph under."""

DECIDE = "decide"
"""Signal and update name that carries a `Decision`."""
PENDING_QUERY = "pending"
STATUS_QUERY = "status"
