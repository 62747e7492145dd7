"""The audit trail of real task runs: which events land, once each, chained (issue 5, point 2)."""

from datetime import timedelta

from hitl.contracts import ChainHead, TaskStatus
from store.chain import verify_chain
from tests.support import run_hitl
from tests.workflow.conftest import Handle, Harness
from workers.local.postgres import EmbeddedPostgres


async def kinds(h: Harness, handle: Handle) -> list[tuple[str, str]]:
    rows = await h.pool.fetch(
        "SELECT kind, actor FROM audit_events WHERE task_id = $1 ORDER BY chain_pos", handle.id
    )
    return [(r["kind"], r["actor"]) for r in rows]


async def test_an_approved_refund_leaves_a_complete_chained_trail(
    harness: Harness, postgres: EmbeddedPostgres
) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="mallory")  # no key pinned: refused
    await harness.decide(
        handle, outcome="approve", reviewer="alice", comment="customer is right", signature="eyJhbGciOi.sig"
    )
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    accepted = await harness.pool.fetchval(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'decision_accepted'", handle.id
    )
    assert (accepted["signature"], accepted["comment"]) == ("eyJhbGciOi.sig", "customer is right")

    trail = await kinds(harness, handle)
    assert trail[:2] == [("task_started", "svc-support"), ("proposed", "agent")]
    assert ("gated", "policy") in trail
    assert ("notified", "system") in trail
    assert ("decision_refused", "mallory") in trail
    assert ("decision_accepted", "alice") in trail
    assert [a for k, a in trail if k == "executed"] == ["agent", "alice", "agent", "agent"]
    assert trail[-1] == ("task_finished", "system")
    verdicts = await harness.pool.fetch(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'verdict' ORDER BY chain_pos", handle.id
    )
    assert [
        (v["data"]["step"], v["data"]["mode"], [r["id"] for r in v["data"]["rules"]]) for v in verdicts
    ] == [
        (0, "auto", ["tier.read_only"]),
        (1, "approve", ["amount.above_threshold", "confidence.high"]),
        (2, "auto", ["tier.low_risk_write", "confidence.high"]),
        (3, "auto", ["tier.low_risk_write", "confidence.high"]),
    ]
    pinned = await harness.pool.fetchval(
        "SELECT data->>'policy_hash' FROM audit_events WHERE task_id = $1 AND kind = 'task_started'",
        handle.id,
    )
    assert len(pinned) == 64
    assert {v["data"]["policy_hash"] for v in verdicts} == {pinned}
    keys = await harness.pool.fetchval(
        "SELECT count(*) - count(DISTINCT event_key) FROM audit_events WHERE task_id = $1", handle.id
    )
    assert keys == 0
    async with harness.pool.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is None

    shown = await run_hitl("audit", "show", handle.id, "--dsn", postgres.dsn)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Audit trail of {handle.id} ({len(trail)} events)"
    assert any("decision_accepted" in line and "approval-1: approve via signal" in line for line in lines)
    assert any(line.strip() == "comment: customer is right" for line in lines)
    assert any("decision_refused" in line and "refused unknown_key" in line for line in lines)

    missing = await run_hitl("audit", "show", "no-such-task", "--dsn", postgres.dsn)
    assert (missing.returncode, missing.stdout) == (4, "")


async def test_escalation_and_fallback_are_audited(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    await harness.skip(timedelta(hours=37))
    result = await handle.result()
    assert result.status is TaskStatus.REJECTED

    trail = [k for k, _ in await kinds(harness, handle)]
    assert trail.count("escalated") == 2
    assert trail.count("fallback") == 1
    feedback = await harness.pool.fetchrow(
        "SELECT outcome, reason_code, by_fallback, escalations FROM feedback WHERE task_id = $1", handle.id
    )
    assert dict(feedback) == {
        "outcome": "reject",
        "reason_code": "sla_fallback",
        "by_fallback": True,
        "escalations": 2,
    }


async def test_the_head_of_the_last_audit_write_is_kept_by_the_workflow(harness: Harness) -> None:
    """The chain head the audit activity returned is in the workflow's history and its status: a
    witness of the task's newest rows outside the database."""
    handle = await harness.refund_task(40)
    assert (await handle.result()).status is TaskStatus.COMPLETED
    head = (await harness.status(handle)).audit_head
    newest = await harness.pool.fetchrow(
        "SELECT chain_pos, hash FROM (SELECT chain_pos, hash FROM audit_events WHERE task_id = $1"
        " UNION ALL SELECT chain_pos, hash FROM feedback WHERE task_id = $1) t ORDER BY chain_pos DESC LIMIT 1",
        handle.id,
    )
    assert head == ChainHead(pos=newest["chain_pos"], hash=newest["hash"])
