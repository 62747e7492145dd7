"""`hitl autonomy set` records a first change from the policy's initial stage, says when the
policy's autonomy is off, raises no stage while the evidence does not verify, and is signed: the
ledger records the verified key and refuses an unsigned or wrongly signed stage (real PostgreSQL)."""

import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from activities.autonomy.ledger import PinRefused, set_stage
from activities.store.audit import AuditActivities
from hitl.cli import build_parser, exit_codes
from hitl.contracts import RecordEventsInput
from hitl.contracts.autonomy import StagePin
from hitl.review.signing import sign_pin
from policies.identity import IdentityRules, public_key_text
from policies.stage_pin import check_pin, pin_bytes
from store.db import create_pool, migrate
from tests.support import key_folder, pin_test_keys, policy_copy, refund_decision, reviewer_key, unique
from workers.local.postgres import MIGRATOR, WORKER, EmbeddedPostgres


async def run_cli(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = await args.handler(args)
    return code


@pytest.fixture
def signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """erin's test key in the reviewer key folder, and a copy of the shipped policies with the
    test keys pinned as `HITL_POLICY_DIR`; returns that folder."""
    folder = policy_copy(tmp_path / "policies")
    pin_test_keys(folder)
    monkeypatch.setenv("HITL_POLICY_DIR", str(folder))
    monkeypatch.setenv("HITL_REVIEWER_KEY_DIR", str(key_folder(tmp_path / "keys", "erin")))
    monkeypatch.delenv("HITL_REVIEWER_KEY", raising=False)
    monkeypatch.delenv("HITL_STATE_DIR", raising=False)
    return folder


def policy_with_autonomy(tmp_path: Path, autonomy: str) -> Path:
    text = (tmp_path / "policies" / "refund.toml").read_text()
    start = text.index("[autonomy]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "staged.toml"
    path.write_text(text[:start] + "[autonomy]\n" + autonomy + text[end:])
    return path


async def test_a_first_set_starts_from_the_policys_initial_stage(
    tmp_path: Path, signer: Path, postgres: EmbeddedPostgres, capsys: pytest.CaptureFixture[str]
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
    signer: Path, postgres: EmbeddedPostgres, capsys: pytest.CaptureFixture[str]
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


ERIN = public_key_text(reviewer_key("erin"))
IDENTITY = IdentityRules(keys={"erin": [ERIN]})
PIN = StagePin(task_kind="refund", action_type="issue_refund", stage=1, actor="erin", reason="incident 42")


def test_the_signed_pin_bytes_match_the_fixed_vector() -> None:
    signed = sign_pin(PIN, reviewer_key("erin"), 1893456000)
    assert pin_bytes(signed) == (
        b'{"action_type":"issue_refund","actor":"erin","expires_at":1893456000,"pinned":true,'
        b'"reason":"incident 42","stage":1,"task_kind":"refund","v":"hitl-stage-pin/1"}'
    )
    assert (signed.key, check_pin(signed, IDENTITY, datetime(2026, 1, 1, tzinfo=UTC)).principal) == (
        ERIN,
        ERIN,
    )


async def test_a_stage_is_set_only_when_signed_with_a_key_the_policy_pins_for_its_setter(
    tmp_path: Path,
    signer: Path,
    postgres: EmbeddedPostgres,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kind = unique("kind")
    staged = policy_with_autonomy(tmp_path, "enabled = true\ninitial_stage = 3\n")
    common = ("--policy", str(staged), "--reason", "incident 42", "--dsn", postgres.dsn)
    assert await run_cli("autonomy", "set", kind, "issue_refund", "2", "--by", "erin", *common) == 0
    capsys.readouterr()
    # Nobody named pat has a key: the pin goes unsigned and the ledger refuses it.
    assert await run_cli("autonomy", "set", kind, "issue_refund", "1", "--by", "pat", *common) == 3
    assert capsys.readouterr().err == (
        "hitl autonomy set: refused (unverified): the stage pin by 'pat' is not signed; "
        "set HITL_REVIEWER_KEY or run `hitl keys new --as pat`\n"
    )
    # Signed as erin with bob's key.
    monkeypatch.setenv("HITL_REVIEWER_KEY", str(key_folder(tmp_path / "bob", "bob") / "bob.key"))
    assert await run_cli("autonomy", "set", kind, "issue_refund", "1", "--by", "erin", *common) == 3
    assert capsys.readouterr().err == (
        "hitl autonomy set: refused (unknown_key): the key is not pinned for 'erin' in the policy\n"
    )
    conn = await asyncpg.connect(postgres.dsn)
    try:
        later = int(time.time()) + 60
        pin = PIN.model_copy(update={"task_kind": kind})
        tampered = sign_pin(pin, reviewer_key("erin"), later).model_copy(update={"stage": 5})
        stale = sign_pin(pin, reviewer_key("erin"), int(time.time()) - 1)
        codes = []
        for refused in (tampered, stale):
            with pytest.raises(PinRefused) as caught:
                await set_stage(conn, refused, IDENTITY)
            codes.append(caught.value.code)
        assert codes == ["bad_signature", "expired"]
        rows = await conn.fetch(
            "SELECT from_stage, to_stage, actor, (evidence->>'verified')::bool, evidence->>'principal'"
            " FROM autonomy_changes WHERE task_kind = $1",
            kind,
        )
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [(3, 2, "erin", True, ERIN)]
