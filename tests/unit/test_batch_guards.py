"""The batch report's guards against what the server and the tasks hand it: an id listed twice is
signalled and reported once, one task whose answer cannot be read does not lose the report of
the others, and a finished workflow whose result is not a task's is not read as one."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from hitl.contracts import Decision
from hitl.review import batch
from hitl.review.batch import BatchItem


@dataclass
class Listed:
    id: str


class ListingClient:
    """Answers `list_workflows` with the ids it was given, in order (visibility can list a
    workflow twice while the list changes under its pages)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.asked: list[tuple[str, int]] = []

    def list_workflows(self, query: str, *, limit: int) -> AsyncIterator[Listed]:
        self.asked.append((query, limit))

        async def listing() -> AsyncIterator[Listed]:
            for workflow_id in self.ids[:limit]:
                yield Listed(workflow_id)

        return listing()


async def test_an_id_listed_twice_is_a_target_once_in_listed_order() -> None:
    client = ListingClient(["t-2", "t-1", "t-2", "t-3", "t-1"])
    ids = await batch.targets(client, 'HitlStatus="waiting"', 1000)  # type: ignore[arg-type]
    assert ids == ["t-2", "t-1", "t-3"]
    assert client.asked == [('HitlStatus="waiting"', 1000)]


async def test_one_unreadable_answer_is_reported_unknown_and_the_others_still_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def check(client: Any, workflow_id: str, decision: Decision) -> tuple[BatchItem | None, str]:
        if workflow_id == "t-broken":
            raise KeyError("a payload that does not decode")
        return BatchItem(workflow_id=workflow_id, answer="accepted"), ""

    monkeypatch.setattr(batch, "_check", check)
    monkeypatch.setattr(batch, "REPORT_WITHIN", 0.2)
    monkeypatch.setattr(batch, "RECHECK", 0.05)
    decision = Decision(outcome="approve", reviewer="alice", decision_id="d-1")
    items = await batch.collect(None, ["t-1", "t-broken", "t-2"], decision)  # type: ignore[arg-type]
    assert [(i.workflow_id, i.answer) for i in items] == [
        ("t-1", "accepted"),
        ("t-broken", "unknown"),
        ("t-2", "accepted"),
    ]
    assert items[1].message == "its answer could not be read: KeyError('a payload that does not decode')"


class FinishedHandle:
    """A finished workflow's handle whose result is `value`."""

    def __init__(self, value: Any) -> None:
        self.value = value

    async def result(self, *, rpc_timeout: Any = None) -> Any:
        return self.value


@pytest.mark.parametrize("value", [None, {"status": "completed", "answers": []}, "done"])
async def test_a_result_that_is_not_a_task_result_is_not_read_as_one(value: Any) -> None:
    assert await batch._result(FinishedHandle(value)) is None  # type: ignore[arg-type]
