"""A task is pinned to the policy it loaded at start: editing the file changes new tasks only,
and the running task keeps (and replays with) its hash."""

from temporalio.worker import Replayer

from hitl.contracts import StepStatus, TaskStatus
from policies.parse import snapshot
from tests.codec_keys import TEST_CONVERTER
from tests.workflow.conftest import Harness
from workers.agent import SANDBOX
from workflows.registry import WORKFLOWS


async def started_hash(harness: Harness, task_id: str) -> str:
    row = await harness.pool.fetchrow(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'task_started'", task_id
    )
    assert row is not None
    value: str = row["data"]["policy_hash"]
    return value


async def test_editing_the_policy_affects_only_new_tasks(harness: Harness) -> None:
    name = harness.refund_policy("refund_pinned", {})
    path = harness.policy_dir / f"{name}.toml"
    before = snapshot(path.read_text(), str(path)).hash

    running = await harness.refund_task(250, policy=name)
    pending = await harness.wait_pending(running)
    assert pending.requests[0].verdict.policy_hash == before

    path.write_text(path.read_text().replace("approve_above = 100", "approve_above = 1000"))
    after = snapshot(path.read_text(), str(path)).hash
    assert after != before

    fresh = await harness.refund_task(250, policy=name)

    # The running task still stops at its gate under the old threshold, and decides with it.
    # (It is decided before any result is awaited: awaiting a result on the time-skipping
    # server skips time, and its SLA ladder would run out.)
    status = await harness.status(running)
    assert [r.request_id for r in (await harness.wait_pending(running)).requests] == ["approval-1"]
    assert [(s.tool, s.status) for s in status.steps] == [("lookup_order", StepStatus.EXECUTED)]
    await harness.decide(running, outcome="approve", reviewer="alice")
    result = await running.result()
    assert result.status is TaskStatus.COMPLETED
    assert (result.steps[1].tool, result.steps[1].status, result.steps[1].mode) == (
        "issue_refund",
        StepStatus.EXECUTED,
        "approve",
    )
    assert await started_hash(harness, running.id) == before

    fresh_result = await fresh.result()
    assert fresh_result.status is TaskStatus.COMPLETED
    assert [(s.tool, s.mode) for s in fresh_result.steps][1] == ("issue_refund", "auto")
    assert await started_hash(harness, fresh.id) == after
    verdict_hashes = await harness.pool.fetch(
        "SELECT DISTINCT data->>'policy_hash' AS h FROM audit_events WHERE task_id = $1 AND kind = 'verdict'",
        running.id,
    )
    assert [r["h"] for r in verdict_hashes] == [before]

    # Its history replays on the current code even though the file on disk has changed.
    history = await running.fetch_history()
    # The namespace the histories ran in: a signed decision is bound to it.
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=TEST_CONVERTER,
        workflow_runner=SANDBOX,
        namespace=harness.client.namespace,
    )
    replay = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replay.replay_failure is None


async def test_a_broken_policy_file_ends_the_task_failed_with_the_reason(harness: Harness) -> None:
    harness.write_policy(
        "typo", (harness.policy_dir / "refund.toml").read_text().replace("approve_above", "aprove_above")
    )
    (harness.policy_dir / "latin1.toml").write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    results = {}
    for name in ("typo", "latin1", "nope"):
        handle = await harness.refund_task(250, policy=name)
        results[name] = await handle.result()
    assert {n: r.status for n, r in results.items()} == dict.fromkeys(results, TaskStatus.FAILED)
    assert "tools.issue_refund.aprove_above: unknown field" in results["typo"].reason
    assert "not UTF-8 text" in results["latin1"].reason
    assert "no policy 'nope'" in results["nope"].reason
    assert all(r.steps == [] for r in results.values())
