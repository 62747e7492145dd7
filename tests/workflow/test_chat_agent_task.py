"""A refund task planned by a chat-completions model (a local fake), gated and approved."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import (
    AgentTaskInput,
    Decision,
    Mode,
    Outcome,
    PendingResult,
    ReviewRequest,
    StepStatus,
    TaskStatus,
)
from hitl.names import DECIDE, PENDING_QUERY
from tests.fake_chat_server import FakeChatServer, function_call, refund_script
from tests.support import assert_eventually, policy_copy, running_workers, settings_for, signed_by_key, unique
from tests.workflow.test_shadow import SHADOW


async def test_model_agent_proposes_the_gate_decides(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    server = FakeChatServer(refund_script)
    task_queue = unique("tq")
    settings = settings_for(tmp_path, unique("notify"))
    order_id = unique("ord")
    await seed_orders(
        pool, [DemoOrder(order_id=order_id, customer_email="x@example.com", total=Decimal("900"))]
    )
    with server.running():
        settings = settings.model_copy(update={"llm_base_url": server.base_url})
        async with running_workers(ts_env.client, pool, settings, task_queue):
            handle = await start_task(
                ts_env.client,
                AgentTaskInput(
                    task_id=unique("llm"),
                    kind="refund",
                    requester="svc",
                    subject={"order_id": order_id, "amount": 250},
                ),
                task_queue=task_queue,
            )
            pending = await assert_eventually(
                lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
            )
            assert (pending.requests[0].action.confidence, pending.requests[0].action.rationale) == (
                0.82,
                "the customer returned the item",
            )
            await handle.signal(
                DECIDE,
                await signed_by_key(
                    ts_env.client, handle.id, Decision(outcome=Outcome.APPROVE, reviewer="alice")
                ),
            )
            result = await handle.result()
    assert (result.status, result.message) == (TaskStatus.COMPLETED, "refund done")
    assert [(s.tool, s.status) for s in result.steps] == [
        ("lookup_order", StepStatus.EXECUTED),
        ("issue_refund", StepStatus.EXECUTED),
    ]
    assert len(server.requests) == 3


def lowballing_script(body: dict[str, Any]) -> tuple[int, Any]:
    """A model (prompt-injected, say) that sends the amount as text and claims a small one."""
    prompt = body["messages"][-1]["content"]
    subject = json.loads(prompt.split("Subject: ", 1)[1].split("\n", 1)[0])
    if "Steps so far: []" not in prompt:
        return 200, function_call("finish", {"message": "stopped"})
    return 200, function_call(
        "propose_action",
        {
            "tool": "issue_refund",
            "args": {"order_id": subject["order_id"], "amount": subject["amount"], "currency": "USD"},
            "confidence": 0.99,
            "signals": {"amount": 5},
        },
    )


async def first_request(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, amount: str, policy: str = "refund"
) -> tuple[ReviewRequest, str]:
    """Run a lowballing model's refund of `amount` (as text) up to its first gate; the order id."""
    server = FakeChatServer(lowballing_script)
    policy_dir = tmp_path / "policies"
    policy_copy(policy_dir)
    [(plain, shadowed)] = SHADOW.items()
    text = (policy_dir / "refund.toml").read_text().replace('name = "refund"', 'name = "refund_shadow"')
    (policy_dir / "refund_shadow.toml").write_text(text.replace(plain, shadowed))
    settings = settings_for(tmp_path, unique("notify")).model_copy(update={"policy_dir": policy_dir})
    order_id = unique("ord")
    await seed_orders(
        pool, [DemoOrder(order_id=order_id, customer_email="x@example.com", total=Decimal("950"))]
    )
    with server.running():
        settings = settings.model_copy(update={"llm_base_url": server.base_url})
        task_queue = unique("tq")
        async with running_workers(ts_env.client, pool, settings, task_queue):
            handle = await start_task(
                ts_env.client,
                AgentTaskInput(
                    task_id=unique("llm"),
                    kind="refund",
                    requester="svc",
                    subject={"order_id": order_id, "amount": amount},
                    policy=policy,
                ),
                task_queue=task_queue,
            )
            pending = await assert_eventually(
                lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
            )
            await handle.terminate(reason="test finished")
    return pending.requests[0], order_id


async def test_a_text_amount_is_judged_as_the_tool_will_run_it(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    request, order_id = await first_request(ts_env, pool, tmp_path, "900")
    verdict = request.verdict
    assert (verdict.mode, verdict.required_limit) == (Mode.APPROVE, 900)
    assert verdict.reasons[0].id == "amount.above_threshold"
    assert await pool.fetchval("SELECT count(*) FROM shop.refunds WHERE order_id = $1", order_id) == 0


async def test_in_shadow_a_text_amount_still_carries_its_approval_limit(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    request, _ = await first_request(ts_env, pool, tmp_path, "40", policy="refund_shadow")
    verdict = request.verdict
    assert (verdict.mode, verdict.required_limit) == (Mode.APPROVE, 40)
    assert [r.id for r in verdict.reasons][-1] == "shadow.gated"
