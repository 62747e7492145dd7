"""Malformed and hostile decisions for `bench.faults`, sent to tasks waiting at a gate through
every way in: signals and updates from a client, the `hitl` CLI and `temporal workflow signal`.

None of them may be accepted. Decision-shaped cases (`DECISIONS`) go through every channel;
raw payloads a pydantic model cannot express (`RAW`) through signals and updates; a 1 MB
reviewer id only `big` times (a flood of them is what pushes a task to the history limit).
An update's answer is counted as it comes: accepted (wrong), refused, or no answer.
"""

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import RawValue
from temporalio.service import RPCError

from hitl.contracts import Decision, DecisionReceipt, Outcome
from hitl.names import DECIDE
from hitl.review.signer import signed_for
from hitl.settings import CliSettings

ANSWER_SECONDS = 5.0
"""How long an update may go unanswered (a wedged task never answers) before it counts as such."""
JSON = {"encoding": b"json/plain"}
RAW: dict[str, Payload | None] = {
    "no argument": None,
    "null": Payload(metadata=JSON, data=b"null"),
    "binary/plain": Payload(metadata={"encoding": b"binary/plain"}, data=b"approve"),
    "invalid JSON": Payload(metadata=JSON, data=b'{"outcome": "approve", "reviewer":'),
    "invalid UTF-8": Payload(metadata=JSON, data=b'{"outcome": "approve", "reviewer": "\xff\xfe"}'),
    "JSON 500 deep": Payload(metadata=JSON, data=b"[" * 500 + b"]" * 500),
    "lone surrogate": Payload(metadata=JSON, data=b'{"outcome": "approve", "reviewer": "\\ud800"}'),
}
# The contract itself refuses NUL characters and oversized fields, so those cases are built
# without validation (`model_construct`), as a hostile sender would write them by hand.
DECISIONS: dict[str, Decision] = {
    "unknown reviewer": Decision(outcome=Outcome.APPROVE, reviewer="mallory"),
    "unsigned high-risk approval": Decision(outcome=Outcome.APPROVE, reviewer="alice"),
    "unknown request": Decision(outcome=Outcome.APPROVE, reviewer="alice", request_id="no-such-request"),
    "outcome not allowed": Decision(outcome=Outcome.ANSWER, reviewer="alice", answer="yes"),
    "patch fails the schema": Decision(outcome=Outcome.MODIFY, reviewer="alice", patch={"amount": "lots"}),
    "requester approves": Decision(outcome=Outcome.APPROVE, reviewer="svc"),
    "NUL in reviewer": Decision.model_construct(outcome=Outcome.APPROVE, reviewer="mal\x00lory"),
    "NUL in comment": Decision.model_construct(outcome=Outcome.APPROVE, reviewer="mallory", comment="ok\x00"),
    "NUL in request id": Decision.model_construct(
        outcome=Outcome.APPROVE, reviewer="alice", request_id="r\x00"
    ),
}
BIG = Decision.model_construct(outcome=Outcome.APPROVE, reviewer="m" * 1_000_000)
HITL_ARGS: list[list[str]] = [
    ["approve", "{task}", "--as", "mallory"],
    ["approve", "{task}", "--as", "alice", "--request", "no-such-request"],
    ["answer", "{task}", "--as", "alice", "--answer", "yes"],
    ["reject", "{task}", "--as", "svc", "--reason", "wrong_amount"],
    ["approve", "no-such-task", "--as", "alice"],
]
"""`hitl` commands that must be refused (alice's demo key signs, so none approves as alice)."""
TEMPORAL_INPUTS = [
    *(d.model_dump_json(exclude_none=True) for d in DECISIONS.values()),
    "not json",
    "[[[[]]]]",
]


@dataclass
class Hostile:
    """Sends hostile decisions and counts what the gate answered."""

    client: Client
    targets: list[str]
    hitl: Callable[[list[str]], Awaitable[int]]
    """Runs the `hitl` CLI with these arguments; returns its exit code."""
    temporal: Callable[[list[str]], Awaitable[int]]
    """Runs `temporal workflow signal` (address and codec flags added) with these arguments."""
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    """By `<channel>: <answer>`: accepted / refused / no answer / exit N."""

    async def signed_cases(self) -> dict[str, Decision]:
        """Approvals signed with alice's key for the first target: one sent to the others, and one
        expired (`send` sends that one to the first target only)."""
        settings = CliSettings.from_env()
        approve = Decision(outcome=Outcome.APPROVE, reviewer="alice")
        other, _ = await signed_for(self.client, settings, [self.targets[0]], approve)
        expired, _ = await signed_for(self.client, settings, [self.targets[0]], approve, validity=-60)
        return {"signed for another task": other, "expired proof": expired}

    async def send(self, total: int, cli: int, big: int) -> None:
        """Send `total` hostile decisions: `cli` through each CLI, `big` 1 MB ones, the rest
        alternately as signals and updates."""
        cases: dict[str, Decision | Payload | None] = {**DECISIONS, **RAW, **await self.signed_cases()}
        semaphore = asyncio.Semaphore(16)
        jobs: list[asyncio.Task[None]] = []
        targets = itertools.cycle(self.targets[1:])  # the first is what the signed cases are bound to
        for i, (name, case) in zip(
            range(total - 2 * cli - big), itertools.cycle(cases.items()), strict=False
        ):
            target = self.targets[0] if name == "expired proof" else next(targets)
            jobs.append(asyncio.create_task(self._client_send(semaphore, target, name, case, i % 2 == 0)))
        for i in range(big):
            jobs.append(
                asyncio.create_task(
                    self._client_send(semaphore, next(targets), "1 MB reviewer id", BIG, i % 2 == 0)
                )
            )
        await asyncio.gather(*jobs)
        for args, task in zip(itertools.islice(itertools.cycle(HITL_ARGS), cli), targets, strict=False):
            self.sent["hitl CLI"] += 1
            code = await self.hitl([a.format(task=task) for a in args])
            self.answers[f"hitl CLI: exit {code}"] += 1
        for text, task in zip(itertools.islice(itertools.cycle(TEMPORAL_INPUTS), cli), targets, strict=False):
            self.sent["temporal workflow signal"] += 1
            code = await self.temporal(["-w", task, "--name", DECIDE, "--input", text])
            self.answers[f"temporal workflow signal: exit {code}"] += 1

    async def _client_send(
        self,
        semaphore: asyncio.Semaphore,
        task: str,
        name: str,
        case: Decision | Payload | None,
        as_signal: bool,
    ) -> None:
        handle = self.client.get_workflow_handle(task)
        args = [] if case is None else [RawValue(case) if isinstance(case, Payload) else case]
        channel = "signal" if as_signal else "update"
        self.sent[f"{channel}: {name}"] += 1
        async with semaphore:
            try:
                async with asyncio.timeout(ANSWER_SECONDS):
                    if as_signal:
                        await handle.signal(DECIDE, *args)
                        answer = "sent"
                    else:
                        receipt = await handle.execute_update(DECIDE, *args, result_type=DecisionReceipt)
                        answer = "accepted" if receipt.accepted else "refused"
            except WorkflowUpdateFailedError:
                answer = "refused"
            except RPCError as err:
                answer = f"rpc error {err.status.name}"
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                answer = f"no answer in {ANSWER_SECONDS:g} s"
        self.answers[f"{channel}: {answer}"] += 1
        if answer == "accepted":
            self.answers[f"accepted: {name}"] += 1
