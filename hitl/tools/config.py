"""Argument models of the production configuration tools (the second example domain)."""

from typing import Any

from pydantic import Field

from hitl.contracts.base import Contract
from hitl.tools.spec import ToolSpec


class ReadConfigArgs(Contract):
    """Read one configuration value."""

    service: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    key: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")


class ApplyConfigArgs(ReadConfigArgs):
    """Set one configuration value in production."""

    value: Any
    """The new value (any JSON value)."""
    reason: str = ""


CONFIG_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("read_config", ReadConfigArgs, "read_config", None, "Read a configuration value."),
    ToolSpec(
        "apply_config_change",
        ApplyConfigArgs,
        "apply_config_change",
        "revert_config_change",
        "Change a production configuration value; undone by restoring the previous value.",
        fixed=frozenset({"service", "key"}),
    ),
)
