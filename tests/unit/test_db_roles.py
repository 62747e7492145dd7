"""The workers' role can read and append evidence, and nothing else on it (issue 13, point 4).

Each attack is tried as `hitl_worker` on a private embedded PostgreSQL whose schema the migrator
owns, exactly as `make run` and the tests' workers connect.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from activities.store.audit import AuditActivities
from hitl.contracts import AuditEvent, AuditKind, RecordEventsInput
from store.chain import verify_chain
from store.db import CREATE_VERSIONS, create_pool, migrate, migration_files
from workers.local.postgres import EmbeddedPostgres, start_migrated

EVIDENCE = ["audit_events", "feedback", "autonomy_changes", "shadow_verdicts", "audit_checkpoints"]


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    db = await start_migrated(tmp_path_factory.mktemp("pg-roles") / "data", delete_on_stop=True)
    pool = await create_pool(db.worker_dsn, max_size=1)
    event = AuditEvent(
        event_key="roles/1",
        task_id="roles",
        workflow_id="roles",
        seq=1,
        kind=AuditKind.TASK_STARTED,
        actor="svc",
        occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    await AuditActivities(pool).record_events(RecordEventsInput(events=[event]))
    await pool.close()
    yield db
    db.stop()


@pytest.fixture
async def worker(server: EmbeddedPostgres) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(server.worker_dsn)
    yield conn
    await conn.close()


@pytest.mark.parametrize("table", EVIDENCE)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {t} SET chain_pos = chain_pos",
        "DELETE FROM {t}",
        "TRUNCATE {t}",
        "ALTER TABLE {t} DISABLE TRIGGER USER",
        "ALTER TABLE {t} ADD COLUMN note text",
        "DROP TABLE {t}",
    ],
)
async def test_the_workers_role_cannot_change_evidence(
    worker: asyncpg.Connection, table: str, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await worker.execute(statement.format(t=table))


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TABLE audit_events_copy (id int)",
        "UPDATE schema_migrations SET version = version",
    ],
)
async def test_the_workers_role_cannot_switch_the_protection_off(
    worker: asyncpg.Connection, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await worker.execute(statement)


async def test_the_workers_role_reads_appends_and_runs_the_demo_tools(worker: asyncpg.Connection) -> None:
    head = await worker.fetchrow("SELECT pos, hash FROM evidence_chain_head()")
    assert head is not None and head["pos"] >= 1
    await worker.execute("INSERT INTO shop.tickets (ticket_id) VALUES ('T-roles')")
    await worker.execute("UPDATE shop.tickets SET status = 'closed' WHERE ticket_id = 'T-roles'")
    await worker.execute("DELETE FROM shop.tickets WHERE ticket_id = 'T-roles'")
    assert await worker.fetchval("SELECT count(*) FROM audit_events") >= 1


async def test_a_forged_chain_column_is_overwritten(
    server: EmbeddedPostgres, worker: asyncpg.Connection
) -> None:
    """A writer cannot choose its row's place in the chain: the trigger sets it."""
    await worker.execute(
        "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at,"
        " chain_pos, prev_hash, hash) VALUES ('roles/forged', 'roles', 'roles', 2, 'proposed', 'agent',"
        " now(), 1000, 'x', 'y')"
    )
    row = await worker.fetchrow("SELECT chain_pos, hash FROM audit_events WHERE event_key = 'roles/forged'")
    assert row is not None and row["chain_pos"] < 1000 and row["hash"] != "y"
    report = await verify_chain(worker)
    assert report.ok, report


async def test_a_temporary_table_does_not_mislead_the_chain(worker: asyncpg.Connection) -> None:
    """A writer's temporary `audit_events` comes first on its own search_path, never on the
    chain functions' (pinned by migration 0007)."""
    await worker.execute(
        "CREATE TEMPORARY TABLE audit_events (chain_pos bigint, hash text);"
        " INSERT INTO pg_temp.audit_events VALUES (5000, 'fake')"
    )
    await worker.execute(
        "INSERT INTO public.audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at)"
        " VALUES ('roles/temp', 'roles', 'roles', 3, 'proposed', 'agent', now())"
    )
    await worker.execute("DROP TABLE pg_temp.audit_events")
    row = await worker.fetchrow(
        "SELECT chain_pos, prev_hash FROM audit_events WHERE event_key = 'roles/temp'"
    )
    assert row is not None and row["chain_pos"] < 5000 and row["prev_hash"] != "fake"
    assert (await verify_chain(worker)).ok


async def test_the_workers_role_cannot_migrate_but_sees_a_current_schema(server: EmbeddedPostgres) -> None:
    assert await migrate(server.worker_dsn) == []
    admin = await asyncpg.connect(server.dsn)
    try:
        owners = await admin.fetch(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('public', 'shop', 'ops')"
        )
    finally:
        await admin.close()
    assert [r["tableowner"] for r in owners] == ["hitl_migrator"]


async def test_a_state_folder_from_before_the_roles_is_adopted(tmp_path: Path) -> None:
    """`make run` on a state folder whose schema the superuser migrated (before the roles) hands
    the schema to the migrator, migrates on, and chains the evidence rows it finds."""
    old = EmbeddedPostgres(tmp_path / "pg")
    conn = await asyncpg.connect(old.start())
    try:
        await conn.execute(CREATE_VERSIONS)
        for version, sql in migration_files():
            if version >= "0006":
                break
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
        await conn.execute(
            "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at)"
            " VALUES ('old/1', 'old', 'old', 1, 'task_started', 'svc', now());"
            "INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,"
            " proposed_args, confidence, reviewers, opened_at, decided_at, seconds_to_decision)"
            " VALUES ('old/approval-1', 'old', 'refund', 'approval-1', 1, 'issue_refund', 'approve',"
            " '{\"amount\": 0.1}', 0.9, '{alice}', now(), now(), 0.5);"
            "INSERT INTO autonomy_changes (task_kind, action_type, from_stage, to_stage, rule, actor, pinned)"
            " VALUES ('refund', 'issue_refund', 3, 4, 'set', 'erin', true)"
        )
    finally:
        await conn.close()
    old.stop()

    server = await start_migrated(tmp_path / "pg", delete_on_stop=True)
    try:
        worker = await asyncpg.connect(server.worker_dsn)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await worker.execute("DELETE FROM audit_events")
            report = await verify_chain(worker)
        finally:
            await worker.close()
    finally:
        server.stop()
    assert (report.rows, report.ok) == (3, True)
