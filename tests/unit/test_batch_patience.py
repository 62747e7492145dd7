"""The batch report waits while the batch makes progress, and no longer (issue 15: in a batch of
1,000 a busy worker applied the last decisions minutes after the first, and a fixed wait per task
reported them unknown)."""

import time
from typing import Any

import pytest

from hitl.review import batch
from hitl.review.batch import BatchItem


async def test_the_report_waits_while_answers_keep_coming_then_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    began = time.monotonic()
    spacing = 0.3
    ids = [f"task-{n}" for n in range(8)]
    silent = "task-silent"

    async def check(client: Any, workflow_id: str, decision_id: str) -> tuple[BatchItem | None, str]:
        if workflow_id == silent:
            return None, "still pending"
        # Task n answers n * spacing seconds after the report began: the last long after a
        # fixed wait of REPORT_WITHIN per task would have given up on it.
        if time.monotonic() - began < ids.index(workflow_id) * spacing:
            return None, ""
        return BatchItem(workflow_id=workflow_id, answer="accepted"), ""

    monkeypatch.setattr(batch, "_check", check)
    monkeypatch.setattr(batch, "REPORT_WITHIN", 1.0)
    monkeypatch.setattr(batch, "RECHECK", 0.05)
    monkeypatch.setattr(batch, "RECHECK_MAX", 0.1)
    items = await batch.collect(None, [*ids, silent], "d-1")  # type: ignore[arg-type]
    took = time.monotonic() - began

    assert [i.answer for i in items] == ["accepted"] * len(ids) + ["unknown"]
    assert items[-1].message == "still pending"
    # The silent task is given up REPORT_WITHIN after the last answer (at 2.1 s), not waited on.
    assert 2.1 + 1.0 <= took < 2.1 + 1.0 + 1.0
