"""`hitl autonomy set` records a first change from the policy's initial stage, says when the
policy's autonomy is off, and raises no stage while the evidence does not verify (real PostgreSQL)."""

from pathlib import Path

import asyncpg
import pytest

import policies
from activities.store.audit import AuditActivities
from hitl.cli import build_parser, exit_codes
from hitl.contracts import RecordEventsInput
from store.db import create_pool, migrate
from tests.support import refund_decision, unique
from workers.local.postgres import MIGRATOR, WORKER, EmbeddedPostgres


async def run_cli(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = await args.handler(args)
    return code


def policy_with_autonomy(tmp_path: Path, autonomy: str) -> Path:
    text = (Path(policies.__file__).parent / "refund.toml").read_text()
    start = text.index("[autonomy]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "staged.toml"
    path.write_text(text[:start] + "[autonomy]\n" + autonomy + text[end:])
    return path


async def test_a_first_set_starts_from_the_policys_initial_stage(
    tmp_path: Path, postgres: EmbeddedPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = unique("kind")
    staged = policy_with_autonomy(tmp_path, "enabled = true\ninitial_stage = 1\n")
    common = ("--by", "erin", "--reason", "earned", "--dsn", postgres.dsn)
    assert await run_cli("autonomy", "set", kind, "issue_refund", "4", "--policy", str(staged), *common) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (
        f"{kind}/issue_refund: stage 1 -> 4 (trusted), pinned; applies to tasks started from now on\n",
        "",
    )

    # The shipped refund policy has autonomy off: the stage is set, with a note saying so.
    assert await run_cli("autonomy", "set", "refund", unique("tool"), "2", *common) == exit_codes.OK
    out, err = capsys.readouterr()
    assert "stage 3 -> 2" in out
    assert "autonomy is off in the refund policy" in err

    missing = await run_cli("autonomy", "set", kind, "issue_refund", "2", "--policy", "nope", *common)
    assert missing == exit_codes.NOT_FOUND
    assert "nope.toml: cannot read" in capsys.readouterr().err


async def test_no_stage_is_raised_while_the_evidence_does_not_verify(
    postgres: EmbeddedPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("evidence").replace("-", "_")
    admin = await asyncpg.connect(postgres.dsn)
    await admin.execute(f"CREATE DATABASE {name} OWNER {MIGRATOR}")
    await admin.close()
    await migrate(postgres.dsn_for(MIGRATOR, name))
    pool = await create_pool(postgres.dsn_for(WORKER, name), max_size=1)
    decision = refund_decision("t", "reject", proposed_args={"amount": 900})
    await AuditActivities(pool).record_events(RecordEventsInput(feedback=[decision]))
    await pool.close()
    tamper = await asyncpg.connect(postgres.dsn_for("postgres", name))
    await tamper.execute("SET session_replication_role = replica; UPDATE feedback SET outcome = 'approve'")
    await tamper.close()

    common = ("--by", "erin", "--reason", "earned", "--dsn", postgres.dsn_for(WORKER, name))
    assert await run_cli("autonomy", "set", "refund", "issue_refund", "4", *common) == exit_codes.REFUSED
    assert capsys.readouterr().err.splitlines()[-1] == (
        "hitl autonomy set: refused: the evidence does not verify (feedback row id 1 at position 1: content "
        "does not match its hash (the row was changed)); see `hitl audit verify`"
    )
    assert await run_cli("autonomy", "set", "refund", "issue_refund", "2", *common) == exit_codes.OK
    assert "stage 3 -> 2" in capsys.readouterr().out
