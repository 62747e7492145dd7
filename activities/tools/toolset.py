"""Declaring tools: a `Toolset` class holds tool activities and their undo; a `Toolbox` is what a
gated workflow offers.

```python
class AccountTools(Toolset):
    @undo("restore_account")
    async def restore_account(self, call: UndoCall[DeleteArgs]) -> ToolResult: ...

    @tool(DELETE_ACCOUNT, DeleteArgs, "Delete the account; undone by restoring it.", undo=restore_account)
    async def delete_account(self, call: ToolCall[DeleteArgs]) -> ToolResult: ...

ACCOUNT_TOOLBOX = Toolbox.of(AccountTools)
```

A tool is declared once, on its activity: its name (also the activity's name), its argument
model, its risk description and its undo. A worker instantiates each toolset its workflows
declare with the database pool and registers every tool and undo activity (`activities()`);
`missing_activities()` names any declared activity a worker does not register.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from activities.tools.outage import patient
from hitl.contracts import ToolResult, ToolSpec

ToolFn = TypeVar("ToolFn", bound=Callable[..., Awaitable[ToolResult]])

_SPEC = "__hitl_tool_spec__"
_UNDO = "__hitl_undo_name__"


def tool(
    name: str,
    args: type[BaseModel],
    description: str,
    *,
    undo: Callable[..., Any] | None = None,
    binds: Mapping[str, str] | None = None,
    fixed: Iterable[str] = (),
) -> Callable[[ToolFn], ToolFn]:
    """Declare a method of a `Toolset` as the activity of tool `name`.

    Args:
        name: Tool name (a module constant, never a repeated string); also the activity name.
        args: The model its arguments and any reviewer patch must satisfy.
        description: What it does and its risk, for context cards and agents.
        undo: The `@undo` method that compensates it; None when it cannot be undone.
        binds: Arguments that must equal a fact of the task, e.g. `{"order_id": "order_id",
            "to": "customer_email"}`; an action outside its task is blocked (or gated at the top
            tier, as the policy says).
        fixed: Arguments a reviewer's `modify` may not change (the order, the recipient).

    Raises:
        TypeError: `undo` is not an `@undo` method, or `binds` or `fixed` names an argument
            `args` lacks.
    """
    undo_name: str | None = None
    if undo is not None:
        undo_name = getattr(undo, _UNDO, None)
        if undo_name is None:
            raise TypeError(f"the undo of tool {name!r} must be a method decorated with @undo")
    unknown = sorted((set(binds or {}) | set(fixed)) - set(args.model_fields))
    if unknown:
        raise TypeError(f"tool {name!r} binds or fixes arguments its model does not have: {unknown}")
    bound = tuple(sorted((binds or {}).items()))

    def declare(fn: ToolFn) -> ToolFn:
        defined = activity.defn(name=name)(patient(fn))
        setattr(
            defined,
            _SPEC,
            ToolSpec(name, args, name, undo_name, description, binds=bound, fixed=frozenset(fixed)),
        )
        return defined

    return declare


def undo(name: str) -> Callable[[ToolFn], ToolFn]:
    """Declare a method of a `Toolset` as an undo activity called `name`."""

    def declare(fn: ToolFn) -> ToolFn:
        defined = activity.defn(name=name)(patient(fn))
        setattr(defined, _UNDO, name)
        return defined

    return declare


class Toolset:
    """Tools that share dependencies: subclass it and decorate methods with `@tool` / `@undo`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    def specs(cls) -> list[ToolSpec]:
        """The tools this class declares, in declaration order."""
        return [spec for member in _members(cls) if (spec := getattr(member, _SPEC, None)) is not None]

    def activities(self) -> list[Callable[..., Awaitable[ToolResult]]]:
        """Every tool and undo activity, bound to this instance, for a worker."""
        return [
            getattr(self, member.__name__)
            for member in _members(type(self))
            if hasattr(member, _SPEC) or hasattr(member, _UNDO)
        ]


def _members(cls: type) -> list[Any]:
    seen: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        seen.update(vars(klass))
    return list(seen.values())


@dataclass(frozen=True)
class Toolbox:
    """The tools a gated workflow offers, by name, and the toolsets that implement them."""

    toolsets: tuple[type[Toolset], ...]
    specs: dict[str, ToolSpec] = field(default_factory=dict)

    @classmethod
    def of(cls, *toolsets: type[Toolset]) -> "Toolbox":
        """Collect the tools of `toolsets`; tool names must be unique."""
        specs = [spec for toolset in toolsets for spec in toolset.specs()]
        names = [spec.name for spec in specs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"tool names must be unique; repeated: {repeated}")
        return cls(toolsets=tuple(toolsets), specs={spec.name: spec for spec in specs})

    def get(self, name: str) -> ToolSpec | None:
        """The tool called `name`, or None."""
        return self.specs.get(name)

    def names(self) -> list[str]:
        """Tool names, sorted."""
        return sorted(self.specs)

    def activity_names(self) -> set[str]:
        """Names of every tool and undo activity these tools need registered."""
        return {spec.activity for spec in self.specs.values()} | {
            spec.undo_activity for spec in self.specs.values() if spec.undo_activity is not None
        }


def missing_activities(toolboxes: Iterable[Toolbox], registered: Iterable[str]) -> list[str]:
    """Activities the toolboxes declare that are not among `registered` names, sorted."""
    needed = set().union(*(box.activity_names() for box in toolboxes))
    return sorted(needed - set(registered))
