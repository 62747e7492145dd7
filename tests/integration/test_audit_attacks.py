"""A superuser attacks the audit trail; `hitl audit verify` names what each attack broke (issue 13,
point 7).

The trail is written as the workers write it (their role, checkpoints every 5 rows signed with a
key outside the database and exported to a file); each attack then runs as the embedded
PostgreSQL's superuser, who can switch triggers off (`session_replication_role = replica`), and
removes the database's copy of the checkpoints it invalidates, as a careful attacker would.
`hitl audit verify` runs as a process with `HITL_DATABASE_URL` set to the superuser's DSN.
That the workers' role can do none of this is tests/unit/test_db_roles.py.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activities.store.audit import AuditActivities
from activities.store.checkpointer import Checkpointer
from hitl.contracts import AuditEvent, AuditKind, ChainHead, RecordEventsInput
from store.chain import CHAIN_ROWS, expected_hash
from store.checkpoints import sign_head, store_checkpoint
from store.db import create_pool
from store.signing import SigningKey, generate_key_file, public_path
from tests.support import refund_decision, run_hitl
from workers.local.postgres import EmbeddedPostgres, start_migrated

pytestmark = pytest.mark.integration

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
REWRITTEN = "the chain was rewritten"


@dataclass
class Trail:
    """Three tasks of four events and a decision each: chain positions 1..15, checkpoints at 5,
    10 and 15, and the head the last write returned into its workflow's history."""

    server: EmbeddedPostgres
    pool: asyncpg.Pool
    key_file: Path
    export: Path
    head: ChainHead
    checkpoint_ids: list[int]

    async def verify(self, *args: str, export: bool = True) -> tuple[int, dict[str, Any]]:
        env = {
            "HITL_DATABASE_URL": self.server.dsn,
            "HITL_AUDIT_PUBLIC_KEY_FILE": str(public_path(self.key_file)),
        }
        if export:
            env["HITL_AUDIT_CHECKPOINT_FILE"] = str(self.export)
        run = await run_hitl(
            "audit", "verify", "--json", *args, env=env, unset=("HITL_AUDIT_CHECKPOINT_FILE",)
        )
        return run.returncode, json.loads(run.stdout)

    async def attack(self, *statements: str) -> None:
        """Run statements as the superuser with every trigger switched off."""
        conn = await asyncpg.connect(self.server.dsn)
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                for sql in statements:
                    await conn.execute(sql)
        finally:
            await conn.close()

    async def rechain(self, from_pos: int = 1) -> None:
        """Recompute every hash from `from_pos` on, as the superuser: a chain that holds by itself."""
        conn = await asyncpg.connect(self.server.dsn)
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica; SET LOCAL TimeZone = 'UTC'")
                prev: str | None = None
                for row in await conn.fetch(CHAIN_ROWS):
                    if row["chain_pos"] >= from_pos:
                        new = expected_hash(prev, row)
                        await conn.execute(
                            f"UPDATE {row['tbl']} SET prev_hash = $1, hash = $2 WHERE id = $3",
                            prev,
                            new,
                            row["id"],
                        )
                        prev = new
                    else:
                        prev = row["hash"]
        finally:
            await conn.close()

    async def row(self, pos: int) -> asyncpg.Record:
        record = await self.pool.fetchrow(
            "SELECT 'audit_events' AS tbl, id, event_key AS key, task_id, kind FROM audit_events WHERE chain_pos = $1"
            " UNION ALL SELECT 'feedback', id, feedback_key, task_id, 'feedback' FROM feedback WHERE chain_pos = $1",
            pos,
        )
        assert record is not None
        return record


def events(task: str) -> RecordEventsInput:
    kinds = [AuditKind.TASK_STARTED, AuditKind.PROPOSED, AuditKind.DECISION_ACCEPTED, AuditKind.EXECUTED]
    return RecordEventsInput(
        events=[
            AuditEvent(
                event_key=f"{task}/run/{seq}",
                task_id=task,
                workflow_id=task,
                seq=seq,
                kind=kind,
                actor="alice" if kind is AuditKind.DECISION_ACCEPTED else "agent",
                occurred_at=T0 + timedelta(minutes=seq),
                data={"amount": 120.5, "step": 1},
            )
            for seq, kind in enumerate(kinds, start=1)
        ],
        feedback=[
            refund_decision(
                task,
                "modify",
                T0,
                proposed_args={"amount": 150},
                final_args={"amount": 120.5},
                reason_code="wrong_amount",
                confidence=0.8,
            )
        ],
    )


@pytest.fixture
async def trail(tmp_path: Path) -> AsyncIterator[Trail]:
    server = await start_migrated(tmp_path / "pg", delete_on_stop=True)
    pool = await create_pool(server.worker_dsn, max_size=2)
    key_file, export = tmp_path / "audit-key.pem", tmp_path / "checkpoints.jsonl"
    audit = AuditActivities(
        pool, checkpointer=Checkpointer(pool, generate_key_file(key_file), every=5, export=export)
    )
    try:
        results = [await audit.record_events(events(task)) for task in ("t-1", "t-2", "t-3")]
        ids = [r["id"] for r in await pool.fetch("SELECT id FROM audit_checkpoints ORDER BY chain_pos")]
        assert results[-1].head is not None
        yield Trail(server, pool, key_file, export, results[-1].head, ids)
    finally:
        await pool.close()
        server.stop()


async def test_an_untouched_trail_verifies_against_its_checkpoints(trail: Trail) -> None:
    code, report = await trail.verify("--expect-head", f"{trail.head.pos}:{trail.head.hash}")
    assert (code, report["rows"], report["head"]) == (0, 15, trail.head.hash)
    assert (report["checkpoint"]["chain_pos"], report["checkpoint"]["checkpoint_id"]) == (
        15,
        trail.checkpoint_ids[2],
    )
    assert (report["broken"], report["checkpoint_problems"], report["conflicts"]) == (None, [], [])


async def test_an_edited_row_is_named(trail: Trail) -> None:
    victim = await trail.row(7)
    await trail.attack("UPDATE audit_events SET actor = 'mallory' WHERE chain_pos = 7")
    code, report = await trail.verify()
    assert (code, report["rows"]) == (1, 6)
    assert report["broken"] == {
        "id": victim["id"],
        "chain_pos": 7,
        "event_key": "t-2/run/2",
        "task_id": "t-2",
        "kind": "proposed",
        "problem": "content does not match its hash (the row was changed)",
        "table": "audit_events",
    }


async def test_an_edited_feedback_row_is_named(trail: Trail) -> None:
    victim = await trail.row(10)
    await trail.attack(
        "UPDATE feedback SET outcome = 'approve', final_args = proposed_args WHERE chain_pos = 10"
    )
    code, report = await trail.verify()
    assert (code, report["broken"]["table"], report["broken"]["id"], report["broken"]["event_key"]) == (
        1,
        "feedback",
        victim["id"],
        "t-2/approval-1",
    )
    assert report["broken"]["problem"] == "content does not match its hash (the row was changed)"


async def test_an_edit_with_recomputed_hashes_is_caught_by_the_next_checkpoint(trail: Trail) -> None:
    await trail.attack("UPDATE audit_events SET actor = 'mallory' WHERE chain_pos = 7")
    await trail.rechain(from_pos=7)
    await trail.attack("DELETE FROM audit_checkpoints WHERE chain_pos >= 7")
    code, report = await trail.verify()
    assert (code, report["broken"], report["rows"]) == (1, None, 15)
    problems = [
        (p["anchor"]["source"], p["anchor"]["chain_pos"], p["anchor"]["checkpoint_id"])
        for p in report["checkpoint_problems"]
    ]
    assert problems == [
        (str(trail.export), 10, trail.checkpoint_ids[1]),
        (str(trail.export), 15, trail.checkpoint_ids[2]),
    ]
    assert all(p["problem"].endswith(REWRITTEN) for p in report["checkpoint_problems"])


async def test_deleted_newest_rows_are_named_by_the_exported_checkpoint(trail: Trail) -> None:
    await trail.attack(
        "DELETE FROM audit_events WHERE chain_pos > 12",
        "DELETE FROM feedback WHERE chain_pos > 12",
        "DELETE FROM audit_checkpoints WHERE chain_pos > 12",
    )
    code, report = await trail.verify()
    assert (code, report["broken"], report["rows"]) == (1, None, 12)
    assert [(p["anchor"]["chain_pos"], p["problem"]) for p in report["checkpoint_problems"]] == [
        (
            15,
            "the chain ends at position 12 but this anchor covers position 15: rows 13..15 were removed "
            "(the tail was truncated)",
        )
    ]


async def test_deleted_newest_rows_are_named_by_the_head_in_workflow_history(trail: Trail) -> None:
    await trail.attack(
        "DELETE FROM audit_events WHERE chain_pos > 14",
        "DELETE FROM feedback WHERE chain_pos > 14",
        "DELETE FROM audit_checkpoints",
    )
    code, report = await trail.verify("--expect-head", f"{trail.head.pos}:{trail.head.hash}", export=False)
    assert code == 1
    assert [(p["anchor"]["source"], p["anchor"]["chain_pos"]) for p in report["checkpoint_problems"]] == [
        ("--expect-head", 15)
    ]


async def test_a_truncated_trail_is_named(trail: Trail) -> None:
    await trail.attack("TRUNCATE audit_events, feedback, audit_checkpoints")
    code, report = await trail.verify()
    assert (code, report["rows"], report["head"]) == (1, 0, None)
    assert [p["anchor"]["chain_pos"] for p in report["checkpoint_problems"]] == [5, 10, 15]
    assert report["checkpoint_problems"][0]["problem"].startswith("the chain ends at position 0 but")


async def test_a_rechained_trail_with_forged_checkpoints_is_named(trail: Trail) -> None:
    """The superuser rewrites history from the first row and signs new checkpoints with a key of
    their own: the forged checkpoints and the exported ones both say so."""
    await trail.attack('UPDATE audit_events SET data = \'{"amount": 9000, "step": 1}\' WHERE chain_pos = 2')
    await trail.rechain()
    await trail.attack("DELETE FROM audit_checkpoints")
    mallory = SigningKey(Ed25519PrivateKey.generate())
    head = await trail.pool.fetchrow("SELECT pos, hash FROM evidence_chain_head()")
    forged = await store_checkpoint(
        trail.pool, sign_head(mallory, ChainHead(pos=head["pos"], hash=head["hash"]), T0)
    )
    code, report = await trail.verify()
    assert (code, report["broken"]) == (1, None)
    problems = [(p["anchor"]["source"], p["anchor"]["chain_pos"]) for p in report["checkpoint_problems"]]
    assert problems == [
        ("database", 15),
        (str(trail.export), 5),
        (str(trail.export), 10),
        (str(trail.export), 15),
    ]
    assert report["checkpoint_problems"][0]["anchor"]["checkpoint_id"] == forged.id
    assert report["checkpoint_problems"][0]["problem"].startswith(
        f"signed by key {mallory.key_id}, which is not"
    )
    assert all(p["problem"].endswith(REWRITTEN) for p in report["checkpoint_problems"][1:])


async def test_a_pre_inserted_next_key_is_named(trail: Trail) -> None:
    """The superuser writes the next event of task t-3 first, with a smaller amount; the worker's
    real write finds the key taken by other content and records what it wanted to write."""
    admin = await asyncpg.connect(trail.server.dsn)
    try:
        await admin.execute(
            "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)"
            " VALUES ('t-3/run/5', 't-3', 't-3', 5, 'executed', 'agent', $1, '{\"amount\": 1}')",
            T0,
        )
    finally:
        await admin.close()
    real = events("t-3").events[3].model_copy(update={"event_key": "t-3/run/5", "seq": 5})
    result = await AuditActivities(trail.pool).record_events(RecordEventsInput(events=[real]))
    assert (result.inserted, result.conflicts) == (0, 1)
    code, report = await trail.verify()
    assert (code, report["broken"], report["checkpoint_problems"]) == (1, None, [])
    conflict = await trail.pool.fetchval("SELECT id FROM audit_events WHERE kind = 'key_conflict'")
    assert report["conflicts"] == [{"id": conflict, "chain_pos": 17, "key": "t-3/run/5", "task_id": "t-3"}]
