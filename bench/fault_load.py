"""The work `bench.faults` runs while it breaks things: refund tasks of three kinds, and a
reviewer who decides the gated ones as their notices arrive.

- `auto`: a refund of 40, which runs alone once the agent's confidence is calibrated (until
  then it stops at the gate like the others, and the reviewer approves it);
- `approve`: a refund of 250, which stops at the gate; the reviewer approves it;
- `reject`: the same, rejected by the reviewer (nothing is refunded).
Each task has its own order and customer, so the per-customer budget never gates a task and
every refund and email row belongs to exactly one task. Decisions are signed as `hitl` signs
them and sent as updates with a fixed decision id: resent until the gate answers (a worker or
the server may be down), applied once.
"""

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import asyncpg
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import decide, start_task
from hitl.contracts import AgentTaskInput, Decision, Outcome
from hitl.review.signer import NothingToSign, sign_as_reviewer

AMOUNTS = {"auto": 40.0, "approve": 250.0, "reject": 250.0}
MIX = ("auto", "approve", "auto", "approve", "reject")
"""Kinds in rotation: 40 % run alone, 40 % approved, 20 % rejected."""
RETRY_EVERY = 1.0
"""Seconds between tries of a decision the gate has not answered yet."""
SILENT_TRIES = 4
"""Unanswered tries (30 s each) after which a task is left alone: a wedged task must not hold a
reviewer's slot while others wait."""
NO_REQUEST_TRIES = 10
"""Tries after which a task with no open request is left alone (its decision was applied)."""


@dataclass
class Load:
    """Tasks started, and the reviewer's decisions."""

    client: Client
    pool: asyncpg.Pool
    outbox: Path
    kinds: dict[str, str] = field(default_factory=dict)
    """Task id -> kind, for every task started."""
    held: set[str] = field(default_factory=set)
    """Gated tasks the reviewer leaves waiting for now."""
    decided: dict[str, str] = field(default_factory=dict)
    """Task id -> the gate's answer to the reviewer's decision."""
    notified: set[str] = field(default_factory=set)
    _offset: int = 0
    _in_flight: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start(self, prefix: str, kinds: Iterable[str], *, hold: bool = False) -> list[str]:
        """Seed an order per task and start them; `hold`: the reviewer does not decide them yet."""
        tasks = [(f"{prefix}-{i}-{kind}", kind) for i, kind in enumerate(kinds)]
        await seed_orders(
            self.pool,
            [
                DemoOrder(order_id=f"o-{tid}", customer_email=f"{tid}@example.com", total=Decimal(900))
                for tid, _ in tasks
            ],
        )
        for tid, kind in tasks:
            self.kinds[tid] = kind
            if hold:
                self.held.add(tid)
        semaphore = asyncio.Semaphore(8)

        async def one(tid: str, kind: str) -> None:
            async with semaphore:
                subject = {
                    "order_id": f"o-{tid}",
                    "amount": AMOUNTS[kind],
                    "customer_message": "refund please",
                }
                await start_task(
                    self.client, AgentTaskInput(task_id=tid, kind="refund", requester="svc", subject=subject)
                )

        await asyncio.gather(*(one(tid, kind) for tid, kind in tasks))
        return [tid for tid, _ in tasks]

    def read_notices(self) -> None:
        """Note the new-request notices that reached the outbox since the last read."""
        if not self.outbox.exists():
            return
        with self.outbox.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].splitlines():
            notice = json.loads(line)
            if notice.get("kind") == "new_request" and notice.get("task_id") in self.kinds:
                self.notified.add(notice["task_id"])

    async def review(self, stop: asyncio.Event, concurrency: int = 16) -> None:
        """Decide notified, unheld tasks until `stop` is set (at most `concurrency` at once)."""
        semaphore = asyncio.Semaphore(concurrency)
        while not stop.is_set():
            self.read_notices()
            for tid in sorted(self.notified - self.held - set(self.decided) - set(self._in_flight)):
                self._in_flight[tid] = asyncio.create_task(self._decide(tid, semaphore))
            await asyncio.sleep(0.2)
        for task in self._in_flight.values():
            task.cancel()

    async def _decide(self, tid: str, semaphore: asyncio.Semaphore) -> None:
        outcome = Outcome.REJECT if self.kinds[tid] == "reject" else Outcome.APPROVE
        decision = Decision(
            outcome=outcome,
            reviewer="alice",
            reason_code=None if outcome is Outcome.APPROVE else "wrong_amount",
            decision_id=f"bench-{tid}",
        )
        async with semaphore:
            unbound = silent = 0
            while unbound < NO_REQUEST_TRIES and silent < SILENT_TRIES:
                try:
                    signed = await sign_as_reviewer(self.client, tid, decision)
                    async with asyncio.timeout(30):
                        receipt = await decide(self.client, tid, signed)
                    self.decided[tid] = "accepted" if receipt.accepted else receipt.code
                    break
                except WorkflowUpdateFailedError as err:
                    self.decided[tid] = f"refused: {err.cause}"
                    break
                except NothingToSign:
                    unbound += 1  # an earlier try was applied but its answer lost, or the task ended
                    await asyncio.sleep(RETRY_EVERY)
                except TimeoutError:
                    silent += 1  # the server or the workers are down, or the task is wedged
                except (RPCError, WorkflowQueryFailedError):
                    await asyncio.sleep(RETRY_EVERY)  # a worker or the server is down: try again
            else:
                self.decided[tid] = "no open request" if unbound else "no answer"
        self._in_flight.pop(tid, None)
