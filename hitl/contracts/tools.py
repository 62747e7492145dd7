"""How a workflow calls a tool activity and its undo, and how a tool is described (`ToolSpec`)."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from hitl.contracts.audit import RecordEventsInput, RecordEventsResult
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
    audit: RecordEventsInput | None = None
    """The write-ahead audit batch: what led to this call, written by the agent worker before the
    tool runs (`activities.tools.write_ahead`); the tool itself receives the call without it."""


class ToolResult(Contract):
    """Output of a tool activity."""

    output: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    replayed: bool = False
    """True when the key was seen before and the earlier effect was returned."""
    audit: RecordEventsResult | None = None
    """What writing the call's write-ahead batch reached: set by the agent worker
    (`activities.tools.write_ahead`), whatever the tool returned here."""


class UndoCall(Contract, Generic[ArgsT]):
    """Input of an undo activity: the original call and what it produced."""

    key: str
    task_id: str
    step: int
    args: ArgsT
    output: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class ToolSpec:
    """How to run, validate and undo one tool; built by `activities.tools.toolset.tool`.

    Attributes:
        name: Tool name as agents and policies write it; also the name of its activity.
        args_model: Pydantic model its arguments (and any reviewer patch) must satisfy.
        activity: Name of the activity that performs it; takes `ToolCall[args_model]`.
        undo_activity: Name of the activity that undoes it (takes `UndoCall[args_model]`),
            or None when the effect cannot be undone.
        description: What it does and its risk, in one line for context cards and agents.
        binds: Arguments bound to the task, as `(argument, task fact)` pairs: the argument must
            equal that fact of the task (its subject, or a record the subject names), e.g.
            `("to", "customer_email")`: an email goes to the customer on file. An action whose
            argument does not match is outside its task (see `Facts.bindings`).
        fixed: Arguments a reviewer's `modify` may not change (the order, the recipient, the
            currency): a patch that changes one is refused as `fixed_argument`.
    """

    name: str
    args_model: type[BaseModel]
    activity: str
    undo_activity: str | None = None
    description: str = ""
    binds: tuple[tuple[str, str], ...] = ()
    fixed: frozenset[str] = frozenset()

    @property
    def bindings(self) -> dict[str, str]:
        """`binds` as a mapping: argument -> task fact."""
        return dict(self.binds)

    @property
    def reversible(self) -> bool:
        """Whether an executed call can be undone."""
        return self.undo_activity is not None
