"""Progressive autonomy end to end: seeded decision histories in a real PostgreSQL move the stage
of refund/issue_refund; each change is recorded and audited with its evidence, a person can pin
or roll back a stage, and a new stage applies to tasks started afterwards.

Each test gets a database of its own: stages depend on every decision recorded for a task kind,
so the shared session database (where other tests reject and revert refunds) would make them
depend on test order.
"""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.autonomy.ledger import refresh, set_stage
from hitl.cli import build_parser, exit_codes
from hitl.contracts import StepStatus, TaskStatus
from hitl.contracts.autonomy import StagePin
from hitl.review.signing import sign_pin
from policies.autonomy import AutonomyRules
from policies.identity import IdentityRules, public_key_text
from store.db import create_pool, migrate
from tests.support import key_folder, reviewer_key, running_workers, settings_for, unique
from tests.workflow.conftest import Handle, Harness
from workers.local.postgres import MIGRATOR, WORKER, EmbeddedPostgres

AUTONOMY = {
    "enabled = false\ninitial_stage = 3": "enabled = true\ninitial_stage = 3",
    "promote_min_decisions = 20": "promote_min_decisions = 4",
    "promote_approval_rate = 0.95": "promote_approval_rate = 0.75",
}


@pytest.fixture
async def own_db(postgres: EmbeddedPostgres) -> AsyncIterator[str]:
    """A freshly migrated database on the session's PostgreSQL server (owned and migrated by the
    migrator); yields the workers' DSN."""
    name = unique("autonomy").replace("-", "_")
    admin = await asyncpg.connect(postgres.dsn)
    await admin.execute(f"CREATE DATABASE {name} OWNER {MIGRATOR}")
    await admin.close()
    await migrate(postgres.dsn_for(MIGRATOR, name))
    yield postgres.dsn_for(WORKER, name)


@pytest.fixture
async def h(ts_env: WorkflowEnvironment, own_db: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A harness whose workers use the test's own database."""
    pool = await create_pool(own_db)
    settings = settings_for(tmp_path, unique("notify"))
    policy_dir = settings.policy_dir
    harness = Harness(ts_env, pool, unique("tq"), settings.outbox, policy_dir)
    harness.refund_policy("refund_graduated", AUTONOMY)
    try:
        async with running_workers(ts_env.client, pool, settings, harness.task_queue):
            yield harness
    finally:
        await harness.terminate_leftovers()
        await pool.close()


async def seed_decisions(pool: asyncpg.Pool, *outcomes: str) -> None:
    """Human decisions on refund approvals, as the audit activity writes them."""
    for outcome in outcomes:
        key = unique("seed")
        await pool.execute(
            "INSERT INTO feedback (feedback_key, task_id, task_kind, request_id, step, action_type, outcome,"
            " proposed_args, final_args, confidence, reviewers, opened_at, decided_at, seconds_to_decision)"
            " VALUES ($1, $1, 'refund', 'approval-1', 1, 'issue_refund', $2, '{}', '{}', 0.9,"
            " ARRAY['alice'], clock_timestamp(), clock_timestamp(), 1)",
            key,
            outcome,
        )


async def seed_revert(pool: asyncpg.Pool) -> str:
    """A refund task whose issue_refund was reverted by a post-hoc reviewer."""
    task = unique("seeded")
    await pool.execute(
        "INSERT INTO audit_events (event_key, task_id, workflow_id, seq, kind, actor, occurred_at, data)"
        " VALUES ($1 || '/1', $1, $1, 1, 'task_started', 'svc', clock_timestamp(), '{\"kind\": \"refund\"}'),"
        " ($1 || '/2', $1, $1, 2, 'reverted', 'system', clock_timestamp(), '{\"tool\": \"issue_refund\"}')",
        task,
    )
    return f"{task}/2"


async def stage_changes(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT from_stage, to_stage, rule, actor, pinned, evidence FROM autonomy_changes"
        " WHERE task_kind = 'refund' AND action_type = 'issue_refund' ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def refund_mode(h: Harness, handle: Handle, amount_step: int = 1) -> tuple[TaskStatus, str]:
    result = await handle.result()
    return result.status, result.steps[amount_step].mode


async def refund_40(h: Harness, **subject: Any) -> Handle:
    return await h.refund_task(40, policy="refund_graduated", **subject)


async def test_approvals_promote_and_a_rejection_streak_demotes(h: Harness) -> None:
    first = await refund_40(h, sentiment="hostile")
    # Stage 3 (the policy as written): a hostile customer's refund waits for a human.
    await h.wait_request(first, "approval-1")
    await h.decide(first, outcome="approve", reviewer="alice")
    assert await refund_mode(h, first) == (TaskStatus.COMPLETED, "approve")

    await seed_decisions(h.pool, "approve", "approve", "modify")
    second = await refund_40(h, sentiment="hostile")
    # first's own approval + 3 seeded = 4 decisions at 75 % approved unchanged: promoted to 4,
    # where the sentiment trigger only flags the refund for review after it runs.
    review = await h.wait_request(second, "post_review-1")
    assert [r.id for r in review.verdict.reasons][-1] == "claim.sentiment.hostile"
    await h.decide(second, outcome="approve", reviewer="alice")
    assert await refund_mode(h, second) == (TaskStatus.COMPLETED, "auto_then_review")
    assert await stage_changes(h.pool) == [
        (
            3,
            4,
            "promote.approval_rate",
            "system",
            False,
            {"approved_share": 0.75, "threshold": 0.75, "decisions": 4},
        )
    ]

    await seed_decisions(h.pool, "reject", "reject", "reject")
    third = await refund_40(h, sentiment="hostile")
    await h.wait_request(third, "approval-1")
    await h.decide(third, outcome="reject", reviewer="bob", comment="no")
    assert await refund_mode(h, third) == (TaskStatus.REJECTED, "approve")
    changes = await stage_changes(h.pool)
    assert [(c[0], c[1], c[2]) for c in changes] == [
        (3, 4, "promote.approval_rate"),
        (4, 3, "demote.rejection_streak"),
    ]
    assert len(changes[1][5]["rejections"]) == 3

    audited = await h.pool.fetch(
        "SELECT actor, data FROM audit_events WHERE kind = 'autonomy_changed' ORDER BY chain_pos"
    )
    assert [
        (a["actor"], a["data"]["from_stage"], a["data"]["to_stage"], a["data"]["rule"]) for a in audited
    ] == [
        ("system", 3, 4, "promote.approval_rate"),
        ("system", 4, 3, "demote.rejection_streak"),
    ]
    assert audited[1]["data"]["evidence"] == changes[1][5]
    started = await h.pool.fetch(
        "SELECT data->'autonomy' AS a FROM audit_events WHERE kind = 'task_started' AND task_id = ANY($1::text[])"
        " ORDER BY chain_pos",
        [first.id, second.id, third.id],
    )
    assert [r["a"]["issue_refund"] for r in started] == [3, 4, 3]


async def test_a_revert_demotes_once_and_only_new_tasks_see_it(h: Harness) -> None:
    before = await refund_40(h)
    assert await refund_mode(h, before) == (TaskStatus.COMPLETED, "auto")

    # A task that starts before the revert keeps its stage even while it waits.
    waiting = await refund_40(h, sentiment="hostile")
    await h.wait_request(waiting, "approval-1")
    revert_key = await seed_revert(h.pool)

    after = await refund_40(h)
    review = await h.wait_request(after, "post_review-1")
    assert [r.id for r in review.verdict.reasons][-1] == "autonomy.stage2"
    assert await stage_changes(h.pool) == [
        (3, 2, "demote.revert", "system", False, {"reverts": [revert_key]})
    ]
    # Decide the waiting task before awaiting any result: awaiting a result lets the time-skipping
    # server jump to the waiting task's SLA deadline, and its fallback would reject it.
    await h.decide(waiting, outcome="approve", reviewer="alice")
    await h.decide(after, outcome="approve", reviewer="alice")
    assert await refund_mode(h, after) == (TaskStatus.COMPLETED, "auto_then_review")
    assert await refund_mode(h, waiting) == (TaskStatus.COMPLETED, "approve")
    again = await refund_40(h)
    await h.wait_request(again, "post_review-1")
    await h.decide(again, outcome="approve", reviewer="alice")
    await again.result()
    # The same revert does not demote twice.
    assert len(await stage_changes(h.pool)) == 1


async def run_cli(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = await args.handler(args)
    return code


async def test_a_pinned_stage_is_not_recomputed_until_unpinned(
    h: Harness,
    own_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # erin signs the pin with her key; the ledger checks it against the keys in the test's policy.
    monkeypatch.setenv("HITL_REVIEWER_KEY_DIR", str(key_folder(tmp_path / "keys", "erin")))
    monkeypatch.delenv("HITL_REVIEWER_KEY", raising=False)
    code = await run_cli(
        "autonomy",
        "set",
        "refund",
        "issue_refund",
        "1",
        "--by",
        "erin",
        "--reason",
        "incident 42",
        "--policy",
        str(h.policy_dir / "refund.toml"),
        "--dsn",
        own_db,
    )
    assert code == exit_codes.OK
    assert capsys.readouterr().out == (
        "refund/issue_refund: stage 3 -> 1 (supervised), pinned; applies to tasks started from now on\n"
    )
    await seed_decisions(h.pool, *["approve"] * 6)
    pinned = await refund_40(h)
    request = await h.wait_request(pinned, "approval-1")
    assert [r.id for r in request.verdict.reasons][-1] == "autonomy.stage1"
    await h.decide(pinned, outcome="approve", reviewer="alice")
    result = await pinned.result()
    assert (result.steps[1].status, result.steps[1].mode) == (StepStatus.EXECUTED, "approve")

    capsys.readouterr()
    assert await run_cli("autonomy", "show", "--kind", "refund", "--dsn", own_db) == exit_codes.OK
    # The console notification channel shares stdout: keep the ledger's lines.
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith("refund/")]
    assert [line.split(";")[0] for line in shown] == [
        "refund/close_ticket: stage 3 (policy), computed",
        "refund/email_customer: stage 3 (policy), computed",
        "refund/issue_refund: stage 1 (supervised), pinned",
        "refund/lookup_order: stage 3 (policy), computed",
    ]

    assert await run_cli("autonomy", "unpin", "refund", "issue_refund", "--by", "erin", "--dsn", own_db) == 0
    capsys.readouterr()
    # The track record restarts at the unpin: the six approvals before it do not count.
    unpinned = await refund_40(h)
    await h.wait_request(unpinned, "approval-1")
    await h.decide(unpinned, outcome="approve", reviewer="alice")
    await unpinned.result()
    await seed_decisions(h.pool, "approve", "approve", "approve")
    promoted = await refund_40(h)
    # Stage 2 (reviewed): the refund runs alone and is reviewed afterwards.
    assert await refund_mode(h, promoted) == (TaskStatus.COMPLETED, "auto_then_review")
    assert [(c[0], c[1], c[2], c[3], c[4]) for c in await stage_changes(h.pool)] == [
        (3, 1, "set", "erin", True),
        (1, 1, "unpin", "erin", False),
        (1, 2, "promote.approval_rate", "system", False),
    ]


async def test_a_pinned_stage_never_exceeds_the_policys_max_stage(pool: asyncpg.Pool) -> None:
    kind = unique("kind")
    async with pool.acquire() as conn:
        pin = StagePin(task_kind=kind, action_type="issue_refund", stage=5, actor="pat", reason="holidays")
        pat = reviewer_key("pat")
        await set_stage(
            conn,
            sign_pin(pin, pat, int(time.time()) + 60),
            IdentityRules(keys={"pat": [public_key_text(pat)]}),
        )
        capped = AutonomyRules(initial_stage=3, max_stage=3)
        assert await refresh(conn, kind, "issue_refund", capped) == 3
        assert await refresh(conn, kind, "issue_refund", AutonomyRules()) == 5
