"""Local activities where a trip through the server buys nothing (issue 15): loading the policy and
establishing each action's facts. Audit writes stay out of local activities (a local write in a
workflow task whose worker dies is in the database but not in history: `workflows.patches`); the
decision's events ride with the refund's own activity, and a waiting task writes at once."""

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from activities.tools.refund import ISSUE_REFUND
from hitl.activity_names import ESTABLISH_FACTS, LOAD_TASK_CONTEXT, RECORD_AUDIT
from hitl.contracts import TaskStatus
from tests.codec_keys import TEST_CONVERTER
from tests.patch_markers import patch_markers
from tests.support import assert_eventually
from tests.workflow.conftest import Handle, Harness
from workers.agent import SANDBOX
from workflows.patches import DECIDED_AT_START
from workflows.registry import WORKFLOWS


def scheduled(event: HistoryEvent, activity_type: str) -> bool:
    return (
        event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    )


def local_write(event: HistoryEvent) -> bool:
    return (
        event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )


def local_type(event: HistoryEvent) -> str:
    data = event.marker_recorded_event_attributes.details["data"].payloads[0].data
    return str(json.loads(data)["activity_type"])


async def audit_kinds(h: Harness, handle: Handle) -> list[str]:
    rows = await h.pool.fetch(
        "SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY chain_pos", handle.id
    )
    return [r["kind"] for r in rows]


async def test_policy_and_facts_are_local_audit_goes_through_the_server_and_the_decision_rides_with_the_refund(
    harness: Harness,
) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED

    history = await handle.fetch_history()
    events = list(history.events)
    # Every change was decided as the run started (`workflows.patches.DECIDED_AT_START`).
    assert patch_markers(history) == [(DECIDED_AT_START, 1)]
    local = (LOAD_TASK_CONTEXT, ESTABLISH_FACTS)
    assert not [e for e in events if any(scheduled(e, name) for name in local)]
    locals_run = [local_type(e) for e in events if local_write(e)]
    assert locals_run[0] == LOAD_TASK_CONTEXT
    assert set(locals_run) == set(local)  # never RECORD_AUDIT: written only once the task commits
    signal = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    refund = next(e for e in events if scheduled(e, ISSUE_REFUND))
    between = [e for e in events if signal.event_id < e.event_id < refund.event_id]
    # The decision's events ride in the refund's activity input: no audit activity between them.
    assert not [e for e in between if scheduled(e, RECORD_AUDIT)]

    # Write-ahead: the refund's activity committed the decision's row before its own transaction.
    recorded, issued = await harness.pool.fetchrow(
        "SELECT (SELECT recorded_at FROM audit_events WHERE task_id = $1 AND kind = 'decision_accepted'),"
        " (SELECT issued_at FROM shop.refunds WHERE idempotency_key = $1 || '/step-1')",
        handle.id,
    )
    assert recorded < issued

    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=TEST_CONVERTER, workflow_runner=SANDBOX, namespace="default"
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None


async def test_a_refused_decision_is_written_while_the_task_still_waits(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="mallory")  # not a reviewer: refused

    trail = await assert_eventually(
        lambda: audit_kinds(harness, handle), lambda kinds: "decision_refused" in kinds
    )
    assert trail[-1] == "decision_refused"
    assert len((await harness.wait_pending(handle)).requests) == 1
    await harness.decide(handle, outcome="reject", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.REJECTED


BEFORE = sorted((Path(__file__).parents[1] / "histories" / "before_local_writes").glob("*.json"))
"""Histories recorded before `patches.LOCAL_WRITES_AND_QUEUE_MEMO`: regular activities for the
policy load and audit writes, every upsert repeated, no queue memo. Kept as they are when the
replay gate's histories are re-recorded, so that runs open across the upgrade stay covered."""


@pytest.mark.parametrize("path", BEFORE, ids=[p.stem for p in BEFORE])
async def test_runs_from_before_the_local_writes_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert [e for e in history.events if scheduled(e, RECORD_AUDIT)]  # the old path indeed
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=TEST_CONVERTER, workflow_runner=SANDBOX, namespace="default"
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
