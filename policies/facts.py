"""What a workflow asks the facts activity to establish about one proposed action."""

from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract
from policies.budgets import Budget, Spend


class EstablishFactsInput(Contract):
    """Input of the `establish_facts` activity: the task, the action as the tool will run it, and
    what the pinned policy and the tool's declaration ask to be checked."""

    task_id: str
    task_kind: str
    subject: dict[str, Any] = Field(default_factory=dict)
    """The task's subject as the service that started it gave it (never the agent's words)."""
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    """The arguments as the tool will run them (parsed by its argument model)."""
    binds: dict[str, str] = Field(default_factory=dict)
    """The tool's bound arguments: argument -> task fact."""
    amount_arg: str | None = None
    currency_arg: str | None = None
    budgets: dict[str, Budget] = Field(default_factory=dict)
    """The policy's budgets that count this tool."""
    task_spent: dict[str, Spend] = Field(default_factory=dict)
    """Per budget counted over the task, what the task's executed steps spent (from history)."""
    novelty_subject: list[str] | None = None
    """Subject fields a precedent must share, when the policy asks about novelty (None: it does not)."""
