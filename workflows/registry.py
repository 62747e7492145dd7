"""Every workflow class the agent worker runs."""

from workflows.agent_task import AgentTaskWorkflow
from workflows.config_change import ConfigChangeWorkflow

WORKFLOWS: list[type] = [AgentTaskWorkflow, ConfigChangeWorkflow]
