"""The replay gate: recorded histories must replay on the current workflow code.

A change that makes a running workflow take a different path than its history says fails here,
before it can break open tasks in production.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.agent import SANDBOX
from workflows.registry import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))
EXPECTED = {
    "approved",
    "modified",
    "rejected",
    "escalated",
    "timed_out",
    "compensated",
    "config_change_reverted",
    "shadowed",
    "reviewed_reverted",
    "verified_after_forgery",
}


def test_every_representative_run_has_a_history() -> None:
    assert {p.stem for p in HISTORIES} == EXPECTED


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    # The namespace the histories ran in: a signed decision is bound to it.
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=SANDBOX,
        namespace="default",
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
