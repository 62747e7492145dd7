"""Record the histories the replay gate replays. Run on purpose, never in CI:

    HITL_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflow/test_record_histories.py

Re-record only when a change is meant to alter what workflows do *and* no run of the old code can
still be open; otherwise keep the histories and guard the change with `workflow.patched()`.
"""

import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.workflow.conftest import Handle, Harness
from tests.workflow.test_resilience import EMAIL_GATED, REVIEWED
from tests.workflow.test_shadow import SHADOW

HISTORIES = Path(__file__).parents[1] / "histories"

pytestmark = pytest.mark.skipif(
    os.environ.get("HITL_RECORD_HISTORIES") != "1",
    reason="records replay histories only when HITL_RECORD_HISTORIES=1",
)


async def save(name: str, handle: Handle) -> None:
    await handle.result()
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())


async def approved(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def modified(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="modify", reviewer="alice", patch={"amount": 200})
    return handle


async def rejected(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="reject", reviewer="bob", reason_code="fraud_risk", comment="no")
    return handle


async def escalated(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    await h.skip(timedelta(hours=4, minutes=1))
    await h.decide(handle, outcome="approve", reviewer="carol")
    return handle


async def timed_out(h: Harness) -> Handle:
    handle = await h.refund_task(250)
    await h.wait_request(handle, "approval-1")
    return handle


async def compensated(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_email_gated_rec", EMAIL_GATED))
    await h.wait_request(handle, "approval-2")
    await h.decide(handle, outcome="reject", reviewer="alice", comment="wrong tone")
    return handle


async def config_change_reverted(h: Harness) -> Handle:
    handle = await h.config_change(2500)
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="sam")
    await h.decide(handle, outcome="approve", reviewer="riley")
    await h.wait_request(handle, "post_review-1")
    await h.decide(handle, outcome="revert", reviewer="lee")
    return handle


async def shadowed(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_shadow_rec", SHADOW))
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


async def reviewed_reverted(h: Harness) -> Handle:
    handle = await h.refund_task(40, policy=h.refund_policy("refund_reviewed_rec", REVIEWED))
    await h.wait_request(handle, "post_review-1")
    await h.decide(handle, outcome="revert", reviewer="alice", comment="duplicate claim")
    return handle


async def verified_after_forgery(h: Harness) -> Handle:
    """An unsigned forgery refused, then a signed approval (policies pin the test keys). The
    workflow id is the file's name: the replay test replays under it, and the proof is bound to it."""
    handle = await h.refund_task(250, task_id="verified_after_forgery")
    await h.wait_request(handle, "approval-1")
    await h.decide(handle, outcome="approve", reviewer="erin", signed=False)
    await h.decide(handle, outcome="approve", reviewer="alice")
    return handle


SCENARIOS: dict[str, Callable[[Harness], Awaitable[Handle]]] = {
    "approved": approved,
    "modified": modified,
    "rejected": rejected,
    "escalated": escalated,
    "timed_out": timed_out,
    "compensated": compensated,
    "config_change_reverted": config_change_reverted,
    "shadowed": shadowed,
    "reviewed_reverted": reviewed_reverted,
    "verified_after_forgery": verified_after_forgery,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_record(harness: Harness, name: str) -> None:
    await save(name, await SCENARIOS[name](harness))
