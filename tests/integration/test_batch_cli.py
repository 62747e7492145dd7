"""Batch decisions on the real stack: one `hitl approve --query` decides many requests through
Temporal's batch signal, reports each refusal, and applies once when run again."""

import json
import re
import uuid

import pytest

from hitl.contracts import TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique
from tests.workflow.conftest import Handle

pytestmark = pytest.mark.integration


async def waiting_refunds(live: LiveStack, prefix: str, amounts: list[float]) -> list[Handle]:
    """One waiting refund task per amount, named `<prefix>-<n>`."""
    return [
        await live.waiting_refund(amount, total=5000, task_id=f"{prefix}-{n}")
        for n, amount in enumerate(amounts)
    ]


async def test_batch_approve_applies_once_and_reports_refusals(live: LiveStack) -> None:
    prefix = unique("batch")
    amounts = [250.0] * 5 + [1800.0]  # alice's limit is 1000: the last one is refused
    handles = await waiting_refunds(live, prefix, amounts)
    query = f'WorkflowId STARTS_WITH "{prefix}-"'
    listed = await assert_eventually(
        lambda: hitl(live, "inbox", "--json"),
        lambda run: (
            sum(json.loads(line)["workflow_id"].startswith(prefix) for line in run.stdout.splitlines()) == 6
        ),
    )
    assert listed.returncode == 0

    decision_id = f"batch-{uuid.uuid4().hex[:8]}"
    run = await hitl(live, "approve", "--query", query, "--as", "alice", "--decision-id", decision_id)
    assert run.returncode == 3, run.stderr  # one refusal
    lines = run.stdout.splitlines()
    started = re.fullmatch(
        rf"batch (hitl-{decision_id}-[0-9a-f]{{6}}): approve by alice on 6 task\(s\), decision_id {decision_id}",
        lines[0],
    )
    assert started is not None, lines[0]
    job_id = started.group(1)
    per_task = sorted(lines[1:-1])
    assert per_task[:5] == [f"  {prefix}-{n} approval-1 accepted" for n in range(5)]
    assert per_task[5].startswith(f"  {prefix}-5 - refused over_limit: ")
    assert lines[-1] == f"batch {job_id} completed: 5 accepted, 1 refused, 0 unknown, 0 signal(s) failed"
    assert "progress: 6/6 signalled, 0 failed (completed)" in run.stderr

    results = [await h.result() for h in handles[:5]]
    assert [r.status for r in results] == [TaskStatus.COMPLETED] * 5
    status = await handles[5].query(STATUS_QUERY, result_type=TaskStatusView)
    assert [(r.code, r.decision_id, r.via) for r in status.refusals] == [
        ("over_limit", decision_id, "signal")
    ]

    # Run again with the same decision id: only the still-open request is signalled; the
    # decided ones are no longer waiting, and nothing is applied twice.
    again = await hitl(live, "approve", "--query", query, "--as", "alice", "--decision-id", decision_id)
    assert again.returncode == 3, again.stderr
    assert again.stdout.splitlines()[0].endswith("on 1 task(s), decision_id " + decision_id)
    refunds = await live.pool.fetchval(
        "SELECT count(*) FROM shop.refunds WHERE idempotency_key LIKE $1", f"{prefix}-%"
    )
    assert refunds == 5

    # A manager approves the one above alice's limit through the same batch command.
    manager = await hitl(live, "approve", "--query", query, "--as", "carol")
    assert manager.returncode == 0, manager.stderr
    assert (await handles[5].result()).status is TaskStatus.COMPLETED

    nothing = await hitl(live, "reject", "--query", query, "--as", "carol")
    assert (nothing.returncode, nothing.stdout.split(":")[0]) == (0, "hitl reject")


async def test_a_batch_signals_exactly_what_it_lists_and_refuses_escaping_queries(live: LiveStack) -> None:
    prefix = unique("limited")
    handles = await waiting_refunds(live, prefix, [200.0, 200.0, 200.0])
    query = f'WorkflowId STARTS_WITH "{prefix}-"'
    await assert_eventually(
        lambda: hitl(live, "inbox", "--json"),
        lambda run: sum(prefix in line for line in run.stdout.splitlines()) == 3,
    )
    run = await hitl(live, "approve", "--query", query, "--as", "alice", "--limit", "2")
    assert run.returncode == 0, run.stderr
    assert " on 2 task(s)," in run.stdout.splitlines()[0]
    decided = [line.split()[0] for line in run.stdout.splitlines()[1:-1]]
    assert len(decided) == 2
    for handle in handles:
        status = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
        assert (handle.id in decided) == (not status.open_requests), (handle.id, status.open_requests)

    for bad in ["HitlTier >= 0) OR (HitlTier >= 0", "", "HitlTier >= 0 ORDER BY HitlDeadline", '"open']:
        refused = await hitl(live, "approve", "--query", bad, "--as", "alice")
        assert (refused.returncode, refused.stdout) == (2, ""), (bad, refused.stdout, refused.stderr)
        assert "--query" in refused.stderr
