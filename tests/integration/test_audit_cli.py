"""`hitl audit verify` as a process: exit codes and the first broken row, on a tampered database."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from activities.store.audit import AuditActivities
from hitl.contracts import AuditEvent, AuditKind, RecordEventsInput
from store.db import create_pool
from tests.support import run_hitl
from workers.local.postgres import EmbeddedPostgres, start_migrated


@pytest.fixture
async def db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    server = await start_migrated(tmp_path_factory.mktemp("pg-cli") / "data", delete_on_stop=True)
    yield server
    server.stop()


async def test_verify_passes_then_names_the_tampered_row(db: EmbeddedPostgres) -> None:
    pool = await create_pool(db.dsn, max_size=2)
    try:
        events = [
            AuditEvent(
                event_key=f"t-1/run/{seq}",
                task_id="t-1",
                workflow_id="t-1",
                seq=seq,
                kind=AuditKind.DECISION_ACCEPTED,
                actor="alice",
                occurred_at=datetime(2026, 5, 1, 12, seq, tzinfo=UTC),
                data={"outcome": "approve", "n": seq},
            )
            for seq in range(1, 4)
        ]
        await AuditActivities(pool).record_events(RecordEventsInput(events=events))
        intact = await run_hitl("audit", "verify", "--dsn", db.dsn)
        head = await pool.fetchval("SELECT hash FROM audit_events WHERE chain_pos = 3")
        assert (intact.returncode, intact.stdout) == (0, f"audit chain intact: 3 events, head {head}\n")

        async with pool.acquire() as conn:
            await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            await conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE event_key = 't-1/run/2'")
            await conn.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        row_id = await pool.fetchval("SELECT id FROM audit_events WHERE event_key = 't-1/run/2'")
    finally:
        await pool.close()

    broken = await run_hitl("audit", "verify", "--dsn", db.dsn, "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["broken"] == {
        "id": row_id,
        "chain_pos": 2,
        "event_key": "t-1/run/2",
        "task_id": "t-1",
        "kind": "decision_accepted",
        "problem": "content does not match its hash (the row was changed)",
        "table": "audit_events",
    }
    assert report["rows"] == 1


async def test_verify_without_a_reachable_database_says_so(db: EmbeddedPostgres) -> None:
    dsn = db.dsn
    db.pause()
    try:
        down = await run_hitl("audit", "verify", "--dsn", dsn)
    finally:
        db.resume()
    assert down.returncode == 5
    assert down.stderr.startswith("hitl audit verify: cannot reach PostgreSQL:")
    conn = await asyncpg.connect(dsn)
    await conn.close()
