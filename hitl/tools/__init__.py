"""The tool catalogue: every tool an agent may call, with its argument model and its undo.

A tool is an activity that takes `ToolCall[ItsArgs]`. Its `ToolSpec` tells workflows which
activity runs it, which model its arguments (and a reviewer's patch) must satisfy, and which
activity undoes it. Workflows look tools up here; they never import activity code.
"""

from hitl.tools.config import CONFIG_TOOLS
from hitl.tools.refund import REFUND_TOOLS
from hitl.tools.spec import ToolSpec


def catalogue(*groups: tuple[ToolSpec, ...]) -> dict[str, ToolSpec]:
    """Merge tool groups into one catalogue keyed by name; names must be unique."""
    specs = [spec for group in groups for spec in group]
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"tool names must be unique; repeated: {repeated}")
    return {spec.name: spec for spec in specs}


TOOLBOX: dict[str, ToolSpec] = catalogue(REFUND_TOOLS, CONFIG_TOOLS)
"""Every tool the agent worker serves, by name."""

__all__ = ["TOOLBOX", "ToolSpec", "catalogue"]
