"""The audit trail is append-only and hash-chained; `verify_chain` names the first broken row.

Runs on a private embedded PostgreSQL: the tests tamper with it as a superuser.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from activities.store.audit import AuditActivities
from hitl.contracts import AuditEvent, AuditKind, RecordEventsInput
from store.chain import row_hash, verify_chain
from store.db import create_pool, migrate, migration_files
from tests.support import unique
from workers.local.postgres import EmbeddedPostgres, start_migrated

T0 = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)


@pytest.fixture(scope="module")
async def tamper_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    server = await start_migrated(tmp_path_factory.mktemp("pg-chain") / "data", delete_on_stop=True)
    yield server
    server.stop()


@pytest.fixture
async def db(tamper_db: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a freshly emptied audit table (emptied the only way possible: as a replica)."""
    pool = await create_pool(tamper_db.dsn)
    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica; DELETE FROM audit_events")
        await conn.execute("SET session_replication_role = origin")
    yield pool
    await pool.close()


def event(task: str, seq: int, kind: AuditKind = AuditKind.PROPOSED, **data: Any) -> AuditEvent:
    return AuditEvent(
        event_key=f"{task}/run/{seq}",
        task_id=task,
        workflow_id=task,
        seq=seq,
        kind=kind,
        actor="agent",
        occurred_at=T0 + timedelta(seconds=seq),
        data=data,
    )


async def write(pool: asyncpg.Pool, *events: AuditEvent) -> int:
    result = await AuditActivities(pool).record_events(RecordEventsInput(events=list(events)))
    return result.inserted


async def test_rows_are_chained_and_verify(db: asyncpg.Pool) -> None:
    task = unique("t")
    tricky: dict[str, Any] = {
        "note": 'quote " back\\slash\nnewline \u00e9\u4e2d\U0001f600',
        "amount": 120.5,
        "n": [1, {"b": 2, "a": None}],
    }
    assert await write(db, event(task, 1, **tricky), event(task, 2, amount=1e-7), event(task, 3)) == 3

    rows = await db.fetch("SELECT chain_pos, prev_hash, hash FROM audit_events ORDER BY chain_pos")
    assert [r["chain_pos"] for r in rows] == [1, 2, 3]
    assert [r["prev_hash"] for r in rows] == [None, rows[0]["hash"], rows[1]["hash"]]
    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert (report.rows, report.head, report.broken) == (3, rows[2]["hash"], None)


async def test_a_retried_write_adds_nothing_and_keeps_the_chain(db: asyncpg.Pool) -> None:
    task = unique("t")
    batch = [event(task, 1), event(task, 2)]
    assert await write(db, *batch) == 2
    assert await write(db, *batch, event(task, 3)) == 1
    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert (report.rows, report.broken) == (3, None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'mallory'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
async def test_updates_deletes_and_truncates_are_refused(db: asyncpg.Pool, statement: str) -> None:
    await write(db, event(unique("t"), 1))
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute(statement)
    assert await db.fetchval("SELECT count(*) FROM audit_events") == 1


async def tamper(pool: asyncpg.Pool, sql: str, *args: Any) -> None:
    """Change the table as a superuser who switched the triggers off."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


async def test_a_changed_row_is_named(db: asyncpg.Pool) -> None:
    task = unique("t")
    await write(db, *(event(task, s, amount=s * 10) for s in range(1, 6)))
    target = await db.fetchrow("SELECT id, event_key FROM audit_events WHERE chain_pos = 3")
    await tamper(db, "UPDATE audit_events SET data = '{\"amount\": 3}' WHERE id = $1", target["id"])

    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert report.rows == 2
    assert report.broken is not None
    assert (report.broken.id, report.broken.event_key, report.broken.chain_pos) == (
        target["id"],
        target["event_key"],
        3,
    )
    assert report.broken.problem == "content does not match its hash (the row was changed)"


async def test_a_rehashed_row_breaks_the_link_of_the_next(db: asyncpg.Pool) -> None:
    """A tamperer who also recomputes the changed row's hash is caught at the next row."""
    task = unique("t")
    await write(db, *(event(task, s) for s in range(1, 5)))
    await tamper(db, "UPDATE audit_events SET actor = 'mallory' WHERE chain_pos = 2")
    row = await db.fetchrow(
        "SELECT chain_pos, prev_hash, event_key, task_id, workflow_id, seq, kind, actor, occurred_at,"
        " recorded_at, data::text AS data_text FROM audit_events WHERE chain_pos = 2"
    )
    await tamper(db, "UPDATE audit_events SET hash = $1 WHERE chain_pos = 2", row_hash(row["prev_hash"], row))

    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is not None
    assert (report.rows, report.broken.chain_pos) == (2, 3)
    assert report.broken.problem.startswith("prev_hash does not match")


async def test_a_deleted_row_is_named(db: asyncpg.Pool) -> None:
    task = unique("t")
    await write(db, *(event(task, s) for s in range(1, 5)))
    await tamper(db, "DELETE FROM audit_events WHERE chain_pos = 2")

    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert report.broken is not None
    assert (report.rows, report.broken.chain_pos, report.broken.event_key) == (1, 3, f"{task}/run/3")
    assert report.broken.problem.startswith("chain position 3 where 2 was expected")


async def test_concurrent_writers_extend_one_chain(db: asyncpg.Pool) -> None:
    tasks = [unique("t") for _ in range(8)]
    counts = await asyncio.gather(*(write(db, *(event(t, s) for s in range(1, 11))) for t in tasks))
    assert counts == [10] * 8
    positions = [r[0] for r in await db.fetch("SELECT chain_pos FROM audit_events ORDER BY chain_pos")]
    assert positions == list(range(1, 81))
    async with db.acquire() as conn:
        report = await verify_chain(conn)
    assert (report.rows, report.broken) == (80, None)


async def test_the_migration_chains_rows_written_before_it(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data", delete_on_stop=True)
    dsn = server.start()
    try:
        conn = await asyncpg.connect(dsn)
        try:
            init = dict(migration_files())["0001_init"]
            await conn.execute(init)
            for seq in (1, 2, 3):
                await conn.execute(
                    "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at,"
                    " data) VALUES ($1, 't', 't', $2, 'proposed', 'agent', $3, $4::jsonb)",
                    f"old/{seq}",
                    seq,
                    T0,
                    f'{{"step": {seq}}}',
                )
            await conn.execute(
                "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz"
                " NOT NULL DEFAULT now()); INSERT INTO schema_migrations VALUES ('0001_init')"
            )
            applied = await migrate(dsn)
            assert applied[0] == "0002_audit_chain"
            await conn.execute(
                "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at)"
                " VALUES ('new/1', 't', 't', 4, 'proposed', 'agent', now())"
            )
            report = await verify_chain(conn)
            positions = [r[0] for r in await conn.fetch("SELECT chain_pos FROM audit_events ORDER BY id")]
        finally:
            await conn.close()
    finally:
        server.stop()
    assert (report.rows, report.broken, positions) == (4, None, [1, 2, 3, 4])
