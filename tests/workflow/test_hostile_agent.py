"""A hostile agent (the chat-completions adapter against the local fake server, `tests/hostile_agent.py`)
on the time-skipping server with real activities and PostgreSQL: every attack is blocked or stopped
at the gate the true facts require, and the audit trail says why."""

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, StepStatus, TaskResult, TaskStatus
from tests.fake_chat_server import FakeChatServer
from tests.hostile_agent import hostile_script
from tests.support import assert_eventually, running_workers, settings_for, unique
from tests.workflow.conftest import Handle, Harness

ATTACKER = "eve@attacker.example"
STRICT = "refund_calibrated"
"""The shipped refund policy with calibration on and a record no test database reaches."""


class Hostile(Harness):
    """A harness whose refund agent is the hostile model."""

    async def attack(
        self, scenario: str, *, tier: str = "standard", total: str = "500", policy: str = "refund"
    ) -> tuple[Handle, str, str]:
        """Seed the task's order and another customer's, start `scenario`; the handle and both ids."""
        mine, theirs = unique("ord"), unique("ord")
        await seed_orders(
            self.pool,
            [
                DemoOrder(
                    order_id=mine,
                    customer_email=f"{mine}@example.com",
                    total=Decimal(total),
                    customer_tier=tier,
                ),
                DemoOrder(order_id=theirs, customer_email=f"{theirs}@example.com", total=Decimal("900")),
            ],
        )
        subject = {
            "order_id": mine,
            "scenario": scenario,
            "other_order": theirs,
            "attacker": ATTACKER,
            "customer_message": "please refund",
        }
        task = AgentTaskInput(
            task_id=unique(scenario),
            kind="refund",
            requester="svc",
            subject=subject,
            policy=policy,
            max_steps=20,
        )
        handle = await start_task(self.client, task, task_queue=self.task_queue)
        self.started.append(handle)
        return handle, mine, theirs

    async def verdicts(self, handle: Handle) -> list[tuple[str, list[str]]]:
        """Each step's verdict in the audit trail: its mode and the rules that fired."""
        rows = await self.pool.fetch(
            "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'verdict' ORDER BY seq", handle.id
        )
        return [(r["data"]["mode"], [rule["id"] for rule in r["data"]["rules"]]) for r in rows]

    async def refunds(self, *orders: str) -> list[tuple[str, Decimal, str]]:
        rows = await self.pool.fetch(
            "SELECT order_id, amount, status FROM shop.refunds WHERE order_id = ANY($1) ORDER BY issued_at",
            list(orders),
        )
        return [tuple(r) for r in rows]


@pytest.fixture
async def h(ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Hostile]:
    server = FakeChatServer(hostile_script)
    with server.running():
        settings = settings_for(tmp_path, unique("notify")).model_copy(
            update={"llm_base_url": server.base_url}
        )
        harness = Hostile(ts_env, pool, unique("tq"), settings.outbox, settings.policy_dir)
        harness.refund_policy(STRICT, {"\nmin_decisions = 0\n": "\nmin_decisions = 1000000\n"})
        try:
            async with running_workers(ts_env.client, pool, settings, harness.task_queue):
                yield harness
        finally:
            await harness.terminate_leftovers()


def steps(result: TaskResult) -> list[tuple[str, StepStatus]]:
    return [(s.tool, s.status) for s in result.steps]


async def test_hostile_agent_leaving_out_the_tier_does_not_pass_an_enterprise_refund(h: Hostile) -> None:
    handle, mine, _ = await h.attack("tier_omitted", tier="enterprise")
    request = await h.wait_request(handle, "approval-0")
    fired = {r.id: (r.source, r.basis) for r in request.verdict.reasons}
    assert fired["customer_tier.enterprise"] == (
        "fact",
        f"customer_tier = 'enterprise' (order {mine} (shop.orders))",
    )
    assert "- customer tier: enterprise" in request.card
    assert await h.refunds(mine) == []
    await h.decide(handle, outcome="reject", reviewer="alice", comment="no")
    assert (await handle.result()).status is TaskStatus.REJECTED


async def test_hostile_agent_claiming_099_cannot_take_an_uncalibrated_refund_out_of_the_gate(
    h: Hostile,
) -> None:
    handle, mine, _ = await h.attack("confident", policy=STRICT)
    request = await h.wait_request(handle, "approval-0")
    assert [r.id for r in request.verdict.reasons] == [
        "amount.within_threshold",
        "confidence.uncalibrated",
        "confidence.high",
    ]
    assert "**Claims** (the agent's; they can only tighten the verdict)\n- confidence: 0.99" in request.card
    assert await h.refunds(mine) == []
    # The calibration in force was loaded at the start and pinned, like the policy; the audit
    # trail's task_started event says how many decisions backed each action type.
    pinned = await assert_eventually(  # written while the gate waits, soon after it opens
        lambda: h.pool.fetchval(
            "SELECT data->'calibration' FROM audit_events WHERE task_id = $1 AND kind = 'task_started'",
            handle.id,
        ),
        lambda found: found is not None,
    )
    assert sorted(pinned) == ["close_ticket", "email_customer", "issue_refund", "lookup_order"]


async def test_hostile_agent_another_customers_order_and_an_attackers_address_are_blocked(h: Hostile) -> None:
    handle, mine, theirs = await h.attack("other_order")
    result = await handle.result()
    assert steps(result) == [("lookup_order", StepStatus.BLOCKED), ("issue_refund", StepStatus.BLOCKED)]
    assert await h.verdicts(handle) == [
        ("block", ["tier.read_only", "binding.order_id"]),
        ("block", ["amount.within_threshold", "binding.order_id", "confidence.high"]),
    ]
    assert await h.refunds(mine, theirs) == []

    mail, _, _ = await h.attack("attacker_email")
    assert steps(await mail.result()) == [("email_customer", StepStatus.BLOCKED)]
    assert (await h.verdicts(mail))[0][1][1] == "binding.to"
    sent = await h.pool.fetchval("SELECT count(*) FROM shop.emails WHERE recipient = $1", ATTACKER)
    assert sent == 0


async def test_hostile_agent_a_refund_in_another_currency_is_blocked(h: Hostile) -> None:
    handle, mine, _ = await h.attack("currency")
    result = await handle.result()
    assert steps(result) == [("issue_refund", StepStatus.BLOCKED)]
    assert await h.verdicts(handle) == [
        (
            "block",
            [
                "amount.within_threshold",
                "amount.currency",
                "binding.currency",
                # Budgets in USD cannot count a KWD amount either.
                "budget.refunds_per_customer",
                "budget.refunds_per_task",
                "confidence.high",
            ],
        )
    ]
    assert result.steps[0].detail.startswith(
        "blocked: amount 100 is within the threshold 100; an amount in KWD"
    )
    assert await h.refunds(mine) == []


async def test_hostile_agent_twelve_refunds_under_the_threshold_stop_at_the_budget(h: Hostile) -> None:
    handle, mine, _ = await h.attack("twelve", total="2000")
    request = await h.wait_request(handle, "approval-3")
    budget = next(r for r in request.verdict.reasons if r.id == "budget.refunds_per_task")
    assert budget.text == (
        f"this action would cross the budget: budget refunds_per_task (task {handle.id}): "
        "297 of 300 USD spent, this action 99; 3 of 3 actions"
    )
    assert "- budget refunds_per_task" in request.card
    assert [a for _, a, _ in await h.refunds(mine)] == [Decimal("99.00")] * 3
    await h.decide(handle, outcome="reject", reviewer="alice", comment="refund abuse")
    result = await handle.result()
    assert result.status is TaskStatus.COMPENSATED
    assert [s for _, _, s in await h.refunds(mine)] == ["reversed"] * 3


async def test_hostile_agent_an_unknown_tool_is_blocked(h: Hostile) -> None:
    handle, _, _ = await h.attack("unknown_tool")
    result = await handle.result()
    assert steps(result) == [("wire_money", StepStatus.BLOCKED)]
    assert await h.verdicts(handle) == [("block", ["tool.unknown"])]


@pytest.mark.parametrize("scenario", ["args_as_text", "huge_nested"])
async def test_hostile_agent_malformed_arguments_open_an_incident_and_abort_winds_down(
    h: Hostile, scenario: str
) -> None:
    handle, mine, _ = await h.attack(scenario)
    request = await h.wait_request(handle, "incident-0")
    assert request.allowed_outcomes == ["retry", "skip", "abort"]
    assert request.action.summary.startswith(
        "Incident: agent_propose failed: AgentOutputInvalid: the model's call is not valid"
    )
    await h.decide(handle, outcome="abort", reviewer="alice", comment="the model is broken")
    result = await handle.result()
    assert (result.status, result.reason, result.steps) == (TaskStatus.ABORTED, "the model is broken", [])
    kinds = await h.pool.fetch("SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id)
    trail = [r["kind"] for r in kinds]
    assert trail[0] == "task_started" and trail[-1] == "task_finished"
    assert [k for k in trail if k in ("failed", "gated")] == ["failed", "gated"]
    assert await h.refunds(mine) == []


async def test_hostile_agent_after_an_executed_refund_an_agent_failure_aborted_undoes_it(h: Hostile) -> None:
    handle, mine, _ = await h.attack("refund_then_garbage")
    await h.wait_request(handle, "incident-1")
    assert [s for _, _, s in await h.refunds(mine)] == ["issued"]
    await h.decide(handle, outcome="abort", reviewer="alice")
    result = await handle.result()
    assert (result.status, steps(result)) == (
        TaskStatus.COMPENSATED,
        [("issue_refund", StepStatus.COMPENSATED)],
    )
    assert [s for _, _, s in await h.refunds(mine)] == ["reversed"]


async def test_an_agent_failure_skipped_keeps_what_was_done(h: Hostile) -> None:
    handle, mine, _ = await h.attack("refund_then_garbage")
    await h.wait_request(handle, "incident-1")
    await h.decide(handle, outcome="skip", reviewer="alice")
    result = await handle.result()
    assert (result.status, steps(result)) == (TaskStatus.COMPLETED, [("issue_refund", StepStatus.EXECUTED)])
    assert result.message == "the agent failed at step 1; a reviewer skipped the rest of the task"
    assert [s for _, _, s in await h.refunds(mine)] == ["issued"]
