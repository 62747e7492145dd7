"""Every workflow class the agent worker runs."""

from workflows.agent_task import AgentTaskWorkflow

WORKFLOWS: list[type] = [AgentTaskWorkflow]
