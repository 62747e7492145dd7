"""The replay gate: recorded histories must replay on the current workflow code.

A change that makes a running workflow take a different path than its history says fails here,
before it can break open tasks in production. Most histories were recorded before payloads were
encrypted and `approved_encrypted` after: the replayer's codec must read both.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.codec_keys import TEST_CONVERTER
from tests.history_payloads import key_ids
from tests.workflow.scenarios import SCENARIOS
from workers.agent import SANDBOX
from workflows.registry import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))
BEFORE = sorted(
    path
    for change in ("write_ahead_up_to_call", "audit_rides_with_action", "decided_at_start")
    for path in (Path(__file__).parents[1] / "histories" / f"before_{change}").glob("*.json")
)
"""The gate's histories as recorded before `patches.WRITE_AHEAD_UP_TO_CALL`, before
`patches.AUDIT_RIDES_WITH_ACTION` and before `patches.DECIDED_AT_START`: runs open when each
shipped keep the path their history holds."""


def test_every_representative_run_has_a_history() -> None:
    assert {p.stem for p in HISTORIES} == set(SCENARIOS)


def test_the_gate_holds_histories_from_before_and_after_payload_encryption() -> None:
    by_name = {p.stem: key_ids(json.loads(p.read_text())) for p in HISTORIES}
    assert (by_name["approved"], by_name["approved_encrypted"]) == (set(), {"test-1"})


@pytest.mark.parametrize(
    "path",
    HISTORIES + BEFORE,
    ids=[p.stem for p in HISTORIES] + [f"{p.parent.name}-{p.stem}" for p in BEFORE],
)
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    # The namespace the histories ran in: a signed decision is bound to it.
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=TEST_CONVERTER, workflow_runner=SANDBOX, namespace="default"
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
