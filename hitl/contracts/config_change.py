"""Input of the configuration-change workflow (the second, code-defined gated workflow)."""

from typing import Any

from pydantic import Field

from hitl.contracts.task import AgentTaskInput, GatedInput


class ConfigChangeInput(GatedInput):
    """Change one production configuration value, with two approvals and an undo."""

    change_id: str = Field(min_length=1, max_length=200)
    """Business id of the change; also the workflow id."""
    service: str = Field(min_length=1)
    key: str = Field(min_length=1)
    value: Any
    requester: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    """Why the change is needed: shown to approvers as the rationale."""
    policy: str = "config_change"

    def as_task(self) -> AgentTaskInput:
        """The change as a task of kind `config_change` whose subject is the setting."""
        return AgentTaskInput(
            task_id=self.change_id,
            kind="config_change",
            requester=self.requester,
            subject={"service": self.service, "key": self.key, "value": self.value},
            policy=self.policy,
        )
