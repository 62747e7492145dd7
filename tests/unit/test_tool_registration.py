"""Every activity a workflow's toolbox declares (each tool and its undo) is registered on the agent
worker; a toolbox naming an activity nobody registers is caught here, not by a task retrying
forever."""

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio import activity

from activities.tools.toolset import Toolbox, Toolset, missing_activities, tool, undo
from hitl.contracts import ToolCall, ToolResult, ToolSpec, UndoCall
from hitl.settings import AgentWorkerSettings
from workers.agent import agent_activities
from workflows.registry import WORKFLOWS, discover


def activity_name(fn: Callable[..., Any]) -> str:
    """The name Temporal registers a callable under (the SDK keeps it on the function)."""
    name = activity._Definition.must_from_callable(fn).name
    assert name is not None
    return name


def registered_names() -> set[str]:
    return {activity_name(fn) for fn in agent_activities(pool=None, settings=AgentWorkerSettings())}


def test_every_declared_tool_and_undo_is_registered_on_the_agent_worker() -> None:
    boxes = [wf.toolbox for wf in WORKFLOWS]
    assert sorted(wf.__name__ for wf in WORKFLOWS) == [
        "AccountDeletionWorkflow",
        "AgentTaskWorkflow",
        "ConfigChangeWorkflow",
        "LangGraphRefundWorkflow",
        "OpenAIAgentsRefundWorkflow",
    ]
    assert missing_activities(boxes, registered_names()) == []
    assert {"issue_refund", "reverse_refund", "apply_config_change", "revert_config_change"} <= set(
        name for box in boxes for name in box.activity_names()
    )


class Args(BaseModel):
    n: int


def test_a_declared_undo_that_no_worker_registers_is_named() -> None:
    misspelt = ToolSpec("refund", Args, "refund", "reverse_refnud", "refund money")
    box = Toolbox(toolsets=(), specs={"refund": misspelt})
    assert missing_activities([box], {"refund", "reverse_refund"}) == ["reverse_refnud"]


def test_a_toolset_declares_its_tools_and_registers_tool_and_undo() -> None:
    class Things(Toolset):
        @undo("unmake_thing")
        async def unmake(self, call: UndoCall[Args]) -> ToolResult:
            return ToolResult()

        @tool("make_thing", Args, "Make a thing; undone by unmaking it.", undo=unmake)
        async def make(self, call: ToolCall[Args]) -> ToolResult:
            return ToolResult()

    assert Things.specs() == [
        ToolSpec("make_thing", Args, "make_thing", "unmake_thing", Things.specs()[0].description)
    ]
    assert {activity_name(fn) for fn in Things(pool=None).activities()} == {"make_thing", "unmake_thing"}


def test_an_undo_must_be_declared_as_one() -> None:
    async def plain(self: Any, call: UndoCall[Args]) -> ToolResult:
        return ToolResult()

    with pytest.raises(TypeError, match="must be a method decorated with @undo"):
        tool("make_thing", Args, "Make a thing.", undo=plain)


def test_tool_names_are_unique_in_a_toolbox() -> None:
    class One(Toolset):
        @tool("same", Args, "One.")
        async def one(self, call: ToolCall[Args]) -> ToolResult:
            return ToolResult()

    class Two(Toolset):
        @tool("same", Args, "Two.")
        async def two(self, call: ToolCall[Args]) -> ToolResult:
            return ToolResult()

    with pytest.raises(ValueError, match="repeated: \\['same'\\]"):
        Toolbox.of(One, Two)


def test_a_gated_workflow_defined_outside_the_workflows_package_is_not_registered() -> None:
    # Test modules subclass gated workflows under type names of their own; the worker runs only
    # the `workflows` package's.
    from tests.workflow.test_workflow_changes import ChangedAccountDeletion

    assert ChangedAccountDeletion.__name__ not in {wf.__name__ for wf in discover()}
    assert {wf.__name__ for wf in discover()} == {wf.__name__ for wf in WORKFLOWS}
