"""Every decision lands in the feedback store and exports as JSONL (issue 5, point 3)."""

import json
from typing import Any

from hitl.contracts import TaskStatus
from tests.support import run_hitl
from tests.workflow.conftest import Harness
from workers.local.postgres import EmbeddedPostgres

REVIEWED = {
    'approve_above = 100\nladder = "refunds"': 'approve_above = 100\nladder = "refunds"\n'
    'review_sample_rate = 1.0\nreview_window = "2h"'
}


async def export(dsn: str, *args: str) -> list[dict[str, Any]]:
    done = await run_hitl("feedback", "export", "--dsn", dsn, *args)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.stderr == f"exported {len(lines)} feedback rows\n"
    return lines


async def test_a_modified_refund_exports_proposal_decision_and_difference(
    harness: Harness, postgres: EmbeddedPostgres
) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(
        handle,
        outcome="modify",
        reviewer="alice",
        patch={"amount": 180},
        reason_code="wrong_amount",
        comment="shipping is not refunded",
    )
    assert (await handle.result()).status is TaskStatus.COMPLETED

    rows = [
        r
        for r in await export(postgres.dsn, "--kind", "refund", "--since", "1d")
        if r["task_id"] == handle.id
    ]
    assert len(rows) == 1
    row = rows[0]
    proposal = await harness.pool.fetchval(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'proposed' AND data->>'tool' = 'issue_refund'",
        handle.id,
    )
    assert {k: row[k] for k in ("request_kind", "action_type", "outcome", "reason_code", "comment")} == {
        "request_kind": "approval",
        "action_type": "issue_refund",
        "outcome": "modify",
        "reason_code": "wrong_amount",
        "comment": "shipping is not refunded",
    }
    assert row["changed"] == {"amount": [250, 180]}
    assert (row["proposed_args"]["amount"], row["final_args"]["amount"]) == (250, 180)
    assert (row["summary"], row["rationale"], row["sources"]) == (
        proposal["summary"],
        proposal["rationale"],
        proposal["sources"],
    )
    assert row["rationale"]
    assert row["confidence"] == proposal["confidence"]
    assert row["reviewers"] == ["alice"]
    assert row["reason"] == "the amount is wrong (too high, too low, wrong currency)"
    assert row["seconds_to_decision"] >= 0

    other_kind = await export(postgres.dsn, "--kind", "config_change")
    assert handle.id not in {r["task_id"] for r in other_kind}


async def test_a_closed_review_window_is_a_post_review_row_not_an_sla_breach(
    harness: Harness, postgres: EmbeddedPostgres
) -> None:
    policy = harness.refund_policy("refund_reviewed_fb", REVIEWED)
    handle = await harness.refund_task(40, policy=policy)
    await harness.wait_request(handle, "post_review-1")
    assert (await handle.result()).status is TaskStatus.COMPLETED

    row = await harness.pool.fetchrow(
        "SELECT request_kind, reason_code, by_fallback FROM feedback WHERE task_id = $1", handle.id
    )
    assert dict(row) == {"request_kind": "post_review", "reason_code": "window_closed", "by_fallback": True}
    everything = {r["task_id"] for r in await export(postgres.dsn)}
    approvals = {r["task_id"] for r in await export(postgres.dsn, "--request-kind", "approval")}
    human = {r["task_id"] for r in await export(postgres.dsn, "--human-only")}
    assert (handle.id in everything, handle.id in approvals, handle.id in human) == (True, False, False)


async def test_bad_since_is_a_usage_error(postgres: EmbeddedPostgres) -> None:
    done = await run_hitl("feedback", "export", "--dsn", postgres.dsn, "--since", "last tuesday")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("hitl feedback export: bad --since:")
