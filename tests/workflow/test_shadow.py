"""Shadow mode on the time-skipping server with real PostgreSQL: a human decides every shadowed
refund, the policy's would-be verdict is stored next to the decision, and the agreement is
reported."""

import pytest

from hitl.cli import build_parser, exit_codes
from hitl.contracts import StepStatus, TaskStatus
from tests.workflow.conftest import Handle, Harness
from workers.local.postgres import EmbeddedPostgres

SHADOW = {"task_kinds = []\ntools = []": 'task_kinds = []\ntools = ["issue_refund"]'}


async def shadow_row(h: Harness, handle: Handle) -> tuple[str, str, str, list[str]]:
    row = await h.pool.fetchrow(
        "SELECT would_be, outcome, agreement, reviewers FROM shadow_verdicts WHERE task_id = $1", handle.id
    )
    assert row is not None
    return (row["would_be"], row["outcome"], row["agreement"], row["reviewers"])


async def test_a_human_decides_and_agreement_is_stored_and_reported(
    harness: Harness, postgres: EmbeddedPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = harness.refund_policy("refund_shadow", SHADOW)

    # The policy would run a confident 40 refund alone; in shadow it waits for a human.
    agreed = await harness.refund_task(40, policy=policy)
    request = await harness.wait_request(agreed, "approval-1")
    assert [r.id for r in request.verdict.reasons] == [
        "amount.within_threshold",
        "confidence.high",
        "shadow.gated",
    ]
    assert request.verdict.required_limit == 40
    await harness.decide(agreed, outcome="approve", reviewer="alice")
    result = await agreed.result()
    assert (result.status, result.steps[1].status, result.steps[1].mode, result.steps[1].decided_by) == (
        TaskStatus.COMPLETED,
        StepStatus.EXECUTED,
        "approve",
        "alice",
    )
    assert await shadow_row(harness, agreed) == ("auto", "approve", "agree", ["alice"])

    lax = await harness.refund_task(40, policy=policy)
    await harness.wait_request(lax, "approval-1")
    await harness.decide(lax, outcome="reject", reviewer="bob", comment="duplicate claim")
    assert (await lax.result()).status is TaskStatus.REJECTED
    assert await shadow_row(harness, lax) == ("auto", "reject", "too_lax", ["bob"])

    strict = await harness.refund_task(250, policy=policy)
    request = await harness.wait_request(strict, "approval-1")
    assert "shadow.gated" not in [r.id for r in request.verdict.reasons]
    await harness.decide(strict, outcome="approve", reviewer="alice")
    assert (await strict.result()).status is TaskStatus.COMPLETED
    assert await shadow_row(harness, strict) == ("approve", "approve", "too_strict", ["alice"])

    # Only shadowed tools are recorded: the lookup, email and ticket steps ran alone.
    assert (
        await harness.pool.fetchval(
            "SELECT count(*) FROM shadow_verdicts WHERE task_id = ANY($1::text[])",
            [agreed.id, lax.id, strict.id],
        )
        == 3
    )
    audited = await harness.pool.fetchval(
        "SELECT data->>'shadow_would_be' FROM audit_events WHERE task_id = $1 AND kind = 'verdict'"
        " AND data->>'shadow_would_be' IS NOT NULL",
        agreed.id,
    )
    assert audited == "auto"

    capsys.readouterr()
    path = harness.policy_dir / f"{policy}.toml"
    args = build_parser().parse_args(
        ["policy", "shadow-report", "--policy", str(path), "--dsn", postgres.dsn]
    )
    assert await args.handler(args) == exit_codes.OK
    lines = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith(("task kind", "refund/"))
    ]
    assert [line.split() for line in lines] == [
        ["task", "kind/action", "type", "decisions", "agree", "too", "lax", "too", "strict", "agreement"],
        ["refund/issue_refund", "3", "1", "1", "1", "33%"],
    ]
