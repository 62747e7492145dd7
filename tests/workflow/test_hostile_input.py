"""Hostile input to a gate: every case gets a recorded refusal with a code, and nothing sticks.

Found by fuzzing the real stack (issue 14): undecodable signals were dropped with a log line, a
malformed update came back as a retryable decode error, a NUL wedged the audit flusher, and an
oversized field made the refusal record itself too big for history.
"""

import hashlib
import json

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from hitl.contracts import TaskStatus, TaskStatusView
from hitl.contracts.text import NAME_MAX, TEXT_MAX
from hitl.names import DECIDE, STATUS_QUERY
from store.chain import verify_chain
from tests.support import assert_eventually
from tests.workflow.conftest import Handle, Harness


def raw(data: bytes, encoding: bytes = b"json/plain") -> RawValue:
    """A payload exactly as a client could send it."""
    return RawValue(Payload(metadata={"encoding": encoding}, data=data))


def decision_json(**fields: object) -> bytes:
    return json.dumps({"outcome": "approve", "reviewer": "alice", **fields}).encode()


DEEP = b'{"outcome":"modify","reviewer":"alice","patch":' + b'{"a":' * 500 + b"1" + b"}" * 501
LONG_REVIEWER = "r" * 100_000

HOSTILE_SIGNALS: list[tuple[RawValue, str]] = [
    (raw(b"\x08\x01approve", b"binary/protobuf"), "not_json"),
    (raw(b"approve", b"binary/plain"), "not_json"),
    (raw(b'{"outcome": "appr\xffove"}'), "not_json"),
    (raw(b'{"outcome": "approve", '), "not_json"),
    (raw(b"[" * 150_000 + b"]" * 150_000), "too_large"),
    (raw(decision_json(reviewer="r" * 1_000_000)), "too_large"),
    (raw(b"[" * 50_000 + b"]" * 50_000), "too_deep"),
    (raw(DEEP), "too_deep"),
    (raw(b'{"outcome":"approve","reviewer":"al\\ud800ice"}'), "invalid_unicode"),
    (raw(decision_json(reviewer="al\x00ice")), "control_character"),
    (raw(decision_json(comment="fine\x00")), "control_character"),
    (raw(decision_json(outcome="modify", patch={"amount": 10, "note": "\x00"})), "control_character"),
    (raw(decision_json(reviewer=LONG_REVIEWER)), "field_too_long"),
    (raw(decision_json(comment="c" * (TEXT_MAX + 1))), "field_too_long"),
    (raw(decision_json(request_id="q" * (NAME_MAX + 1))), "field_too_long"),
    (raw(b"null", b"binary/null"), "not_an_object"),
]


async def refusals(harness: Harness, handle: Handle, count: int) -> TaskStatusView:
    return await assert_eventually(lambda: harness.status(handle), lambda s: s.refusals_total >= count)


async def chain_holds(harness: Harness) -> bool:
    async with harness.pool.acquire() as conn:
        return (await verify_chain(conn)).broken is None


async def test_hostile_input_signals_are_refused_with_a_code_and_recorded(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    for payload, _ in HOSTILE_SIGNALS:
        await handle.signal(DECIDE, payload)
    await handle.signal(DECIDE)

    status = await refusals(harness, handle, len(HOSTILE_SIGNALS) + 1)
    expected = [code for _, code in HOSTILE_SIGNALS] + ["missing_payload"]
    assert [r.code for r in status.refusals] == expected
    by_code = {r.code: r for r in status.refusals[::-1]}
    nul_digest = hashlib.sha256(b"al\x00ice").hexdigest()
    assert by_code["control_character"].reviewer == f"al\\u0000ice… (6 chars, sha256 {nul_digest})"
    digest = hashlib.sha256(LONG_REVIEWER.encode()).hexdigest()
    assert by_code["field_too_long"].reviewer == f"{'r' * 32}… (100000 chars, sha256 {digest})"

    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    rows = await harness.pool.fetch(
        "SELECT actor, data->>'code' AS code, length(data::text) AS size FROM audit_events"
        " WHERE task_id = $1 AND kind = 'decision_refused' ORDER BY seq",
        handle.id,
    )
    assert [r["code"] for r in rows] == expected
    assert max(r["size"] for r in rows) < 2048
    assert await chain_holds(harness)


async def test_hostile_input_updates_answer_with_a_refusal_code(harness: Harness) -> None:
    handle = await harness.refund_task(250)
    await harness.wait_pending(handle)
    cases: list[tuple[list[RawValue], str]] = [
        ([], "missing_payload"),
        ([raw(b"\x00\x01", b"binary/plain")], "not_json"),
        ([raw(b"null", b"binary/null")], "not_an_object"),
        ([raw(b"{not json")], "not_json"),
        ([raw(decision_json(outcome="yes"))], "invalid_decision"),
        ([raw(decision_json(comment="ok\x00"))], "control_character"),
        ([raw(decision_json()), raw(decision_json())], "too_many_arguments"),
    ]
    for args, code in cases:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(DECIDE, args=args)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError)
        assert (cause.type, cause.non_retryable) == (code, True)

    # Too large to enter history: turned away by the validator, so nothing is recorded.
    with pytest.raises(WorkflowUpdateFailedError) as too_large:
        await handle.execute_update(DECIDE, raw(decision_json(reviewer="r" * 300_000)))
    assert isinstance(too_large.value.cause, ApplicationError)
    assert too_large.value.cause.type == "too_large"

    status = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    assert [(r.code, r.via) for r in status.refusals] == [(code, "update") for _, code in cases]
    await harness.decide(handle, outcome="reject", reviewer="alice", reason_code="fraud_risk")
    assert (await handle.result()).status is TaskStatus.REJECTED
    assert await chain_holds(harness)


async def test_hostile_input_nul_in_audited_content_is_escaped_and_the_task_goes_on(harness: Harness) -> None:
    handle = await harness.refund_task(250, customer_message="please\x00refund")
    await harness.wait_pending(handle)
    await harness.decide(handle, outcome="approve", reviewer="alice")
    assert (await handle.result()).status is TaskStatus.COMPLETED
    started = await harness.pool.fetchrow(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'task_started'", handle.id
    )
    assert started is not None
    digest = hashlib.sha256(b"please\x00refund").hexdigest()
    assert (
        started["data"]["subject"]["customer_message"] == f"please\\u0000refund… (13 chars, sha256 {digest})"
    )
    assert "substituted" in started["data"]
    kinds = await harness.pool.fetch(
        "SELECT kind FROM audit_events WHERE task_id = $1 ORDER BY seq", handle.id
    )
    assert kinds[-1]["kind"] == "task_finished"
    assert await chain_holds(harness)
