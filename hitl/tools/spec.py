"""`ToolSpec`: how to run, validate and undo one tool."""

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class ToolSpec:
    """How to run, validate and undo one tool.

    Attributes:
        name: Tool name as agents and policies write it.
        args_model: Pydantic model its arguments (and any reviewer patch) must satisfy.
        activity: Name of the activity that performs it; takes `ToolCall[args_model]`.
        undo_activity: Name of the activity that undoes it (takes `UndoCall[args_model]`),
            or None when the effect cannot be undone.
        description: One line for context cards.
        fixed: Arguments a reviewer's `modify` may not change (the order, the recipient, the
            currency): a patch that changes one is refused as `fixed_argument`.
    """

    name: str
    args_model: type[BaseModel]
    activity: str
    undo_activity: str | None = None
    description: str = ""
    fixed: frozenset[str] = frozenset()
