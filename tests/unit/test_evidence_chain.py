"""One chain over audit events, feedback and autonomy evidence; key conflicts; checkpoints; no
promotion on evidence that does not verify (issue 13, points 5 and 6).

Runs on a private embedded PostgreSQL: the workers write as their role, the tests tamper as the
superuser.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from activities.autonomy import ledger
from activities.store.audit import AuditActivities
from activities.store.checkpointer import Checkpointer
from hitl.contracts import AuditEvent, AuditKind, ChainHead, FeedbackRecord, RecordEventsInput
from policies.autonomy import AutonomyRules
from store.anchors import Anchors
from store.chain import verify_chain
from store.checkpoints import database_checkpoints, read_export
from store.db import create_pool
from store.signing import SigningKey, generate_key_file
from tests.support import refund_decision, unique
from workers.local.postgres import EmbeddedPostgres, start_migrated

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    db = await start_migrated(tmp_path / "pg", delete_on_stop=True)
    yield db
    db.stop()


@pytest.fixture
async def pool(server: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    db = await create_pool(server.worker_dsn, max_size=2)
    yield db
    await db.close()


def event(task: str, seq: int, **data: Any) -> AuditEvent:
    return AuditEvent(
        event_key=f"{task}/run/{seq}",
        task_id=task,
        workflow_id=task,
        seq=seq,
        kind=AuditKind.PROPOSED,
        actor="agent",
        occurred_at=T0 + timedelta(seconds=seq),
        data=data,
    )


def feedback(task: str, outcome: str = "approve", at: datetime = T0) -> FeedbackRecord:
    return refund_decision(task, outcome, at, final_args={"amount": 12.5, "order_id": "o-1"})


async def tamper(server: EmbeddedPostgres, sql: str, *args: Any) -> None:
    """Change rows as a superuser who switched the triggers off."""
    conn = await asyncpg.connect(server.dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(sql, *args)
    finally:
        await conn.close()


async def test_feedback_joins_the_chain_and_an_edited_row_is_named(
    server: EmbeddedPostgres, pool: asyncpg.Pool
) -> None:
    task = unique("t")
    batch = RecordEventsInput(events=[event(task, 1), event(task, 2)], feedback=[feedback(task)])
    result = await AuditActivities(pool).record_events(batch)
    head = await pool.fetchrow("SELECT chain_pos, hash FROM feedback")
    assert result.head == ChainHead(pos=3, hash=head["hash"]) and head["chain_pos"] == 3
    async with pool.acquire() as conn:
        assert (await verify_chain(conn)).ok

    await tamper(server, "UPDATE feedback SET outcome = 'reject'")
    async with pool.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is not None
    assert (report.broken.table, report.broken.event_key, report.broken.chain_pos, report.broken.problem) == (
        "feedback",
        f"{task}/approval-1",
        3,
        "content does not match its hash (the row was changed)",
    )


async def test_a_retry_is_idempotent_and_reports_the_same_head(pool: asyncpg.Pool) -> None:
    task = unique("t")
    batch = RecordEventsInput(events=[event(task, 1, n=1.5)], feedback=[feedback(task)])
    first = await AuditActivities(pool).record_events(batch)
    again = await AuditActivities(pool).record_events(batch)
    assert (first.inserted, again.inserted, again.conflicts, again.head) == (1, 0, 0, first.head)


async def test_a_pre_inserted_key_is_recorded_as_a_conflict_and_named(
    server: EmbeddedPostgres, pool: asyncpg.Pool
) -> None:
    task = unique("t")
    forged = event(task, 2, amount=1)
    await AuditActivities(pool).record_events(RecordEventsInput(events=[event(task, 1), forged]))
    real = event(task, 2, amount=900)
    result = await AuditActivities(pool).record_events(RecordEventsInput(events=[real], feedback=[]))
    assert (result.inserted, result.conflicts) == (0, 1)
    stored = await pool.fetchrow(
        "SELECT id, chain_pos, event_key, data FROM audit_events WHERE kind = 'key_conflict'"
    )
    assert stored["data"]["event"] == real.model_dump(mode="json")
    assert stored["data"]["stored"]["chain_pos"] == 2
    retried = await AuditActivities(pool).record_events(RecordEventsInput(events=[real]))
    assert (retried.conflicts, retried.head) == (1, result.head)  # the conflict is recorded once

    async with pool.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is None and not report.ok
    assert [(c.key, c.id, c.chain_pos) for c in report.conflicts] == [(real.event_key, stored["id"], 3)]


async def test_a_pre_inserted_feedback_key_is_a_conflict(pool: asyncpg.Pool) -> None:
    task = unique("t")
    await AuditActivities(pool).record_events(RecordEventsInput(feedback=[feedback(task, "approve")]))
    result = await AuditActivities(pool).record_events(RecordEventsInput(feedback=[feedback(task, "reject")]))
    assert result.conflicts == 1
    async with pool.acquire() as conn:
        report = await verify_chain(conn)
    assert [c.key for c in report.conflicts] == [f"feedback/{task}/approval-1"]


async def test_checkpoints_every_n_rows_are_exported_and_anchor_verify(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    key = generate_key_file(tmp_path / "key.pem")
    export = tmp_path / "cp.jsonl"
    checkpointer = Checkpointer(pool, key, every=3, seconds=3600, export=export)
    audit = AuditActivities(pool, checkpointer=checkpointer)
    task = unique("t")
    for seq in range(1, 8):
        await audit.record_events(RecordEventsInput(events=[event(task, seq)]))
    async with pool.acquire() as conn:
        stored = await database_checkpoints(conn)
        report = await verify_chain(conn, Anchors(public_keys={key.key_id: key.public}))
    assert [c.chain_pos for c in stored] == [3, 6]
    assert read_export(export) == stored
    assert report.ok and report.checkpoint is not None
    assert (report.checkpoint.checkpoint_id, report.checkpoint.chain_pos) == (stored[1].id, 6)


async def test_a_checkpoint_is_due_after_t_seconds(pool: asyncpg.Pool, tmp_path: Path) -> None:
    now = [0.0]
    checkpointer = Checkpointer(
        pool, generate_key_file(tmp_path / "k.pem"), every=100, seconds=60, clock=lambda: now[0]
    )
    audit = AuditActivities(pool, checkpointer=checkpointer)
    await audit.record_events(RecordEventsInput(events=[event(unique("t"), 1)]))
    now[0] = 61.0
    await audit.record_events(RecordEventsInput(events=[event(unique("t"), 1)]))
    async with pool.acquire() as conn:
        assert [c.chain_pos for c in await database_checkpoints(conn)] == [2]


async def promote_after_approvals(pool: asyncpg.Pool, key: SigningKey) -> AutonomyRules:
    """Four human approvals of issue_refund, each in the chain."""
    rules = AutonomyRules(enabled=True, initial_stage=3, promote_min_decisions=4, promote_approval_rate=0.75)
    async with pool.acquire() as conn:
        assert await ledger.refresh(conn, "refund", "issue_refund", rules) == 3
    start = datetime.now(UTC) + timedelta(seconds=1)
    decisions = [feedback(unique("t"), at=start + timedelta(seconds=n)) for n in range(4)]
    await AuditActivities(pool).record_events(RecordEventsInput(feedback=decisions))
    await Checkpointer(pool, key).checkpoint()
    return rules


async def test_no_promotion_from_a_tampered_decision(
    server: EmbeddedPostgres, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    key = generate_key_file(tmp_path / "k.pem")
    rules = await promote_after_approvals(pool, key)
    victim = await pool.fetchval("SELECT feedback_key FROM feedback ORDER BY chain_pos DESC LIMIT 1")
    await tamper(
        server, "UPDATE feedback SET outcome = 'approve', comment = 'edited' WHERE feedback_key = $1", victim
    )
    anchors = Anchors(public_keys={key.key_id: key.public})
    async with pool.acquire() as conn:
        assert await ledger.refresh(conn, "refund", "issue_refund", rules, lambda: anchors) == 3
        assert await ledger.changes(conn, "refund") == []


async def test_promotion_from_evidence_that_verifies(pool: asyncpg.Pool, tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.pem")
    rules = await promote_after_approvals(pool, key)
    anchors = Anchors(public_keys={key.key_id: key.public})
    async with pool.acquire() as conn:
        assert await ledger.refresh(conn, "refund", "issue_refund", rules, lambda: anchors) == 4
