"""How a workflow calls a tool activity and its undo."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from hitl.contracts.base import Contract

ArgsT = TypeVar("ArgsT", bound=BaseModel)


class ToolCall(Contract, Generic[ArgsT]):
    """Input of every tool activity: typed arguments plus the idempotency key.

    A tool activity declares `ToolCall[ItsArgs]`; the workflow sends the same shape with
    arguments it has already validated against `ItsArgs`.
    """

    key: str
    """Idempotency key from workflow id and step: a retried call has no second effect."""
    task_id: str
    step: int
    args: ArgsT


class ToolResult(Contract):
    """Output of a tool activity."""

    output: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    replayed: bool = False
    """True when the key was seen before and the earlier effect was returned."""


class UndoCall(Contract, Generic[ArgsT]):
    """Input of an undo activity: the original call and what it produced."""

    key: str
    task_id: str
    step: int
    args: ArgsT
    output: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
