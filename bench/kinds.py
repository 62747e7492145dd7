"""The kinds of workflow the gate bench compares, behind one interface: gated, bare and the
floors (`bench/floor_workflow.py`).

All run the rules-based refund agent (look up the order, refund, email, close) with the same
tools on the same orders; the refund's idempotency key is `<workflow id>/step-1` in all, so
"the action ran" is read the same way: the refund row's `issued_at` in PostgreSQL. Every order has
its own customer, so the per-customer refund budget never gates a bench task. A gated decision is
signed by the demo reviewer's key (the refund policy counts only verified decisions on a
high-risk write), as `hitl approve` signs it: the signing reads the task's open request first and
is not timed; the clock starts when the signal is sent.
"""

import time
from decimal import Decimal
from typing import Any, Protocol

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WorkflowHandle

from activities.tools.shop_seed import DemoOrder, seed_orders
from bench.bare_workflow import BARE_WORKFLOW, BareResult, BareTask, Go
from bench.floor_workflow import FLOOR_WORKFLOW, GATE_ONLY_FLOOR_WORKFLOW
from bench.harness import BARE_QUEUE
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, Decision, Outcome, TaskResult, TaskStatus
from hitl.names import DECIDE
from hitl.review.signer import target_of
from hitl.review.signing import DEFAULT_VALIDITY_SECONDS, sign

GATED_AMOUNT = 250
"""Above the refund policy's `approve_above` (100): the refund waits for a reviewer."""
AUTO_AMOUNT = 50
"""Below it, with the agent's confidence above 0.9: the refund runs on its own."""


class Kind(Protocol):
    """Start tasks, decide them, and read when their action ran and when they completed."""

    name: str
    client: Client
    pool: asyncpg.Pool

    async def start(self, task_id: str, amount: float) -> WorkflowHandle[Any, Any]: ...

    async def prepare(self, handle: WorkflowHandle[Any, Any]) -> Any:
        """The decision to send to this parked task (not timed)."""
        ...

    async def decide(self, handle: WorkflowHandle[Any, Any], decision: Any) -> float:
        """Send the prepared decision; return when it was sent."""
        ...

    async def finished(self, handle: WorkflowHandle[Any, Any]) -> None: ...


async def seed(pool: asyncpg.Pool, task_ids: list[str]) -> None:
    """One order per task (total 900), so every refund fits."""
    await seed_orders(
        pool,
        [DemoOrder(order_id=t, customer_email=f"{t}@example.com", total=Decimal("900")) for t in task_ids],
    )


async def executed_at(pool: asyncpg.Pool, task_id: str) -> float:
    """When the task's refund ran (database clock, epoch seconds)."""
    issued = await pool.fetchval(
        "SELECT issued_at FROM shop.refunds WHERE idempotency_key = $1", f"{task_id}/step-1"
    )
    assert issued is not None, f"{task_id} has no refund"
    return float(issued.timestamp())


class Gated:
    """`AgentTaskWorkflow` on the agent worker: policy, audit, notices, gate."""

    name = "gated"

    def __init__(self, client: Client, pool: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
        self.client = client
        self.pool = pool
        self.key = key
        """The demo reviewer `alice`'s key (`BenchStack.reviewer_key`)."""

    async def start(self, task_id: str, amount: float) -> WorkflowHandle[Any, Any]:
        task = AgentTaskInput(
            task_id=task_id,
            kind="refund",
            requester="bench",
            subject={"order_id": task_id, "amount": amount},
        )
        return await start_task(self.client, task)

    async def prepare(self, handle: WorkflowHandle[Any, Any]) -> Decision:
        target = await target_of(self.client, handle.id, None)
        decision = Decision(outcome=Outcome.APPROVE, reviewer="alice", request_id=target.request_id)
        expires_at = int(time.time()) + DEFAULT_VALIDITY_SECONDS
        return sign(decision, self.key, self.client.namespace, [target], expires_at)

    async def decide(self, handle: WorkflowHandle[Any, Any], decision: Any) -> float:
        sent = time.time()
        await handle.signal(DECIDE, decision)
        return sent

    async def finished(self, handle: WorkflowHandle[Any, Any]) -> None:
        result: TaskResult = await handle.result()
        assert result.status is TaskStatus.COMPLETED, result


class Bare:
    """`BareAgentWorkflow` on the bare worker: the same agent and tools, nothing else."""

    name = "bare"
    workflow = BARE_WORKFLOW

    def __init__(self, client: Client, pool: asyncpg.Pool) -> None:
        self.client = client
        self.pool = pool

    async def start(self, task_id: str, amount: float) -> WorkflowHandle[Any, Any]:
        return await self.client.start_workflow(
            self.workflow,
            BareTask(
                task_id=task_id,
                subject={"order_id": task_id, "amount": amount},
                wait_before_refund=amount == GATED_AMOUNT,
            ),
            id=task_id,
            task_queue=BARE_QUEUE,
            result_type=BareResult,
        )

    async def prepare(self, handle: WorkflowHandle[Any, Any]) -> Go:
        del handle
        return Go()

    async def decide(self, handle: WorkflowHandle[Any, Any], decision: Any) -> float:
        sent = time.time()
        await handle.signal("go", decision)
        return sent

    async def finished(self, handle: WorkflowHandle[Any, Any]) -> None:
        result: BareResult = await handle.result()
        assert result.steps == 4, result


class Floor(Bare):
    """`FloorAgentWorkflow` on the bare worker: the bare loop plus the commands of the gate's
    features, with no work behind them (`bench/floor_workflow.py`)."""

    name = "floor"
    workflow = FLOOR_WORKFLOW


class GateOnlyFloor(Bare):
    """`GateOnlyFloorWorkflow`: the floor without the policy and facts reads."""

    name = "floor_gate_only"
    workflow = GATE_ONLY_FLOOR_WORKFLOW
