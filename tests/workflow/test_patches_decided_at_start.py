"""Every change in `workflows.patches` is decided in the run's first workflow task
(`patches.DECIDED_AT_START`), so a replay takes the path the run took wherever a later workflow
task boundary falls.

Full test runs on this 2-core machine stopped a task now and then with "Non-deprecated patch
marker encountered for change audit-rides-with-action, but there is no corresponding change
command": a local activity's result landed in one workflow task and the code ran on only in the
next. `tests.history_surgery.split_after` edits a recorded history into that shape, after every
local activity's result in it.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.codec_keys import TEST_CONVERTER
from tests.history_surgery import local_results_mid_task, split_after
from tests.patch_markers import patch_markers
from workers.agent import SANDBOX
from workflows.patches import DECIDED_AT_START
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).parents[1] / "histories"
CURRENT = sorted(HISTORIES.glob("*.json"))
LAZY = HISTORIES / "before_decided_at_start"


def replayer() -> Replayer:
    # The namespace the histories ran in: a signed decision is bound to it.
    return Replayer(
        workflows=WORKFLOWS, data_converter=TEST_CONVERTER, workflow_runner=SANDBOX, namespace="default"
    )


async def split_replays(path: Path) -> dict[int, str | None]:
    """Each split point of the history at `path`, with the failure its replay met (None: clean)."""
    recorded = json.loads(path.read_text())
    failures: dict[int, str | None] = {}
    for event_id in local_results_mid_task(recorded):
        history = WorkflowHistory.from_json(path.stem, json.dumps(split_after(recorded, event_id)))
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        failures[event_id] = None if result.replay_failure is None else str(result.replay_failure)
    return failures


@pytest.mark.parametrize("path", CURRENT, ids=[p.stem for p in CURRENT])
def test_a_run_records_one_marker_in_its_first_workflow_task(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert patch_markers(history) == [(DECIDED_AT_START, 1)]


@pytest.mark.parametrize("path", CURRENT, ids=[p.stem for p in CURRENT])
async def test_a_local_result_that_lands_a_workflow_task_before_its_code_runs_on_replays(path: Path) -> None:
    failures = await split_replays(path)
    assert failures, "the history holds no local activity result to split after"
    assert failures == dict.fromkeys(failures)


async def test_a_run_that_decided_each_change_where_it_met_it_does_not() -> None:
    """The same split fails a run recorded before `DECIDED_AT_START` (runs open when it shipped
    keep that path; they meet it only if their worker is starved in the same way)."""
    failures = await split_replays(LAZY / "approved.json")
    assert "Non-deprecated patch marker encountered for change audit-rides-with-action" in str(failures[18])
