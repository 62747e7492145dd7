"""The inbox's checks over HTTP on the real stack: what a URL or a tampered form cannot do, the
gate's answers in words, and notices that link to the request's page.

Each refusal is checked twice: what the reviewer is told, and that the task did not move (its
`status` shows no decision).
"""

import json
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, TaskResult, TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from hitl.review.deciding import Answer, send_decision
from tests.integration.inbox_support import InboxStack, Reviewer, card_path, inbox_live
from tests.support import assert_eventually, unique

pytestmark = pytest.mark.integration
__all__ = ["inbox_live"]


async def decisions_of(handle: WorkflowHandle[Any, TaskResult]) -> TaskStatusView:
    status: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    return status


async def test_another_groups_request_is_refused_by_url_and_by_form(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(250)
    alice = await Reviewer.log_in(inbox_live, "alice")
    sam = await Reviewer.log_in(inbox_live, "sam")  # sre-oncall: the config-change policy's group
    try:
        _, card = await alice.page(card_path(handle.id))
        fields = card.forms["approve-form"]
        page, _ = await sam.page(card_path(handle.id))
        assert page.status_code == 403
        assert "this request is not in your queue: your groups may not decide it" in page.text
        assert "Refund 250" not in page.text
        queue, sams = await sam.page("/queue")
        assert handle.id not in queue.text
        # alice's form with sam's own session and CSRF token: the request is still not his.
        forged, _ = await sam.post(
            card_path(handle.id) + "/decide", {**fields, "csrf": sams.forms["batch"]["csrf"]}
        )
        assert (forged.status_code, "not in your queue" in forged.text) == (403, True)
    finally:
        await alice.close()
        await sam.close()
    status = await decisions_of(handle)
    assert (status.decisions, status.refusals) == ([], [])


async def test_a_tampered_form_is_not_sent(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(250)
    alice = await Reviewer.log_in(inbox_live, "alice")
    try:
        _, card = await alice.page(card_path(handle.id))
        approve = card.forms["approve-form"]
        tries = {
            "stale_action": {**approve, "digest": "0" * 64},
            "not offered": {**approve, "outcome": "revert"},
            "reason code": {**card.forms["reject-form"], "reason_code": ""},
        }
        said = {}
        for name, fields in tries.items():
            _, page = await alice.post(card_path(handle.id) + "/decide", fields)
            said[name] = page.flashes
        assert said == {
            "stale_action": [
                "Not sent: stale_action: the action changed since you opened it; here is the new version."
            ],
            "not offered": ["Not sent: revert is not offered for this request."],
            "reason code": ["Not sent: choose a reason code to reject."],
        }
        no_csrf, _ = await alice.post(card_path(handle.id) + "/decide", {**approve, "csrf": "x"})
        assert no_csrf.status_code == 403
    finally:
        await alice.close()
    status = await decisions_of(handle)
    assert (status.decisions, status.refusals) == ([], [])


async def test_the_gate_refuses_what_the_page_would_not_offer_and_says_why(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(1500, total=2000)
    alice = await Reviewer.log_in(inbox_live, "alice")
    try:
        _, card = await alice.page(card_path(handle.id))
        # The approve button is disabled for alice; post its form anyway.
        _, page = await alice.post(
            card_path(handle.id) + "/decide", {**card.forms["approve-form"], "confirm": "yes"}
        )
    finally:
        await alice.close()
    assert page.flashes == [
        "Refused, over_limit: the amount is above your approval limit "
        "('alice' may approve up to 1000; this action is 1500)."
    ]
    status = await decisions_of(handle)
    assert ([(r.code, r.reviewer, r.via) for r in status.refusals], status.decisions) == (
        [("over_limit", "alice", "update")],
        [],
    )


async def test_a_high_risk_approval_waits_for_confirmation_then_completes(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(250)
    bob = await Reviewer.log_in(inbox_live, "bob")
    try:
        _, card = await bob.page(card_path(handle.id))
        asked, confirm = await bob.post(card_path(handle.id) + "/decide", card.forms["approve-form"])
        assert (asked.status_code, "Yes, send it" in asked.text) == (200, True)
        assert (await decisions_of(handle)).decisions == []
        _, after = await bob.post(card_path(handle.id) + "/decide", confirm.forms["confirm-form"])
    finally:
        await bob.close()
    assert after.flashes == [f"Approved {handle.id} (approval-1): accepted."]
    # The gate verified the inbox's token as bob's decision on this request (high-risk refunds
    # count only verified decisions).
    [applied] = (await decisions_of(handle)).decisions
    assert (applied.decision.reviewer, applied.principal) == ("bob", "jwt:hitl-inbox#bob")
    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "bob")


async def test_notices_link_to_the_request_page(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(250)

    async def links() -> list[str]:
        lines = inbox_live.stack.settings.outbox.read_text().splitlines()
        notices = [json.loads(line) for line in lines]
        return [n["inbox_url"] for n in notices if n["task_id"] == handle.id and n["kind"] == "new_request"]

    found = await assert_eventually(links, lambda found: len(found) == 1)
    assert found == [f"{inbox_live.url}{card_path(handle.id)}"]
    await handle.terminate("test done")


async def test_request_changes_then_approve_the_revised_action(inbox_live: InboxStack) -> None:
    handle = await inbox_live.waiting_refund(250)
    bob = await Reviewer.log_in(inbox_live, "bob")
    try:
        _, card = await bob.page(card_path(handle.id))
        fields = {**card.forms["changes-form"], "comment": "refund 150 only"}
        _, after = await bob.post(card_path(handle.id) + "/decide", fields)
        assert after.flashes == [f"Sent back for changes {handle.id} (approval-1): accepted."]
        status = await assert_eventually(lambda: decisions_of(handle), lambda s: len(s.open_requests) == 1)
        revised = status.open_requests[0]
        assert (revised.request_id != "approval-1", revised.action.args["amount"]) == (True, 150.0)
        # The first card's form is for the first version: it cannot approve the revision.
        stale = {**card.forms["approve-form"], "confirm": "yes"}
        _, refused = await bob.post(card_path(handle.id, revised.request_id) + "/decide", stale)
        assert refused.flashes == [
            "Not sent: stale_action: the action changed since you opened it; here is the new version."
        ]
        _, new_card = await bob.page(card_path(handle.id, revised.request_id))
        await bob.post(
            card_path(handle.id, revised.request_id) + "/decide",
            {**new_card.forms["approve-form"], "confirm": "yes"},
        )
    finally:
        await bob.close()
    result = await handle.result()
    assert (result.status, [s.args.get("amount") for s in result.steps if s.tool == "issue_refund"]) == (
        TaskStatus.COMPLETED,
        [150.0],
    )


async def test_answer_a_question(inbox_live: InboxStack) -> None:
    order_id = unique("ord")
    await seed_orders(
        inbox_live.pool, [DemoOrder(order_id=order_id, customer_email="li@example.com", total=Decimal("900"))]
    )
    task = AgentTaskInput(
        task_id=unique("ask"),
        kind="refund",
        requester="svc",
        subject={"order_id": order_id, "amount": 250, "ambiguous": True},
    )
    handle = await start_task(inbox_live.client, task)
    pending = await assert_eventually(lambda: decisions_of(handle), lambda s: len(s.open_requests) == 1)
    question = pending.open_requests[0]
    alice = await Reviewer.log_in(inbox_live, "alice")
    try:
        page, card = await alice.page(card_path(handle.id, question.request_id))
        assert "Does the customer want a refund of 250 or a replacement?" in page.text
        fields = {**card.forms["answer-form"], "answer": "a replacement, no refund"}
        _, after = await alice.post(card_path(handle.id, question.request_id) + "/decide", fields)
    finally:
        await alice.close()
    assert after.flashes == [f"Answered {handle.id} ({question.request_id}): accepted."]
    result = await handle.result()
    assert result.message == "no refund: the reviewer answered 'a replacement, no refund'"


async def test_the_gate_refuses_the_inbox_proof_anywhere_else(inbox_live: InboxStack) -> None:
    first = await inbox_live.waiting_refund(250)
    second = await inbox_live.waiting_refund(250)
    bob = await Reviewer.log_in(inbox_live, "bob")
    try:
        _, card = await bob.page(card_path(first.id))
        await bob.post(card_path(first.id) + "/decide", {**card.forms["approve-form"], "confirm": "yes"})
    finally:
        await bob.close()
    [applied] = (await decisions_of(first)).decisions
    signed = applied.decision
    tries = {
        "replayed on another task": signed,
        "named someone else": signed.model_copy(update={"reviewer": "carol"}),
        "unsigned": signed.model_copy(update={"proof": None}),
    }
    answers = {name: await send_decision(inbox_live.client, second.id, d) for name, d in tries.items()}
    assert {name: (a.answer, a.code) for name, a in answers.items()} == {
        "replayed on another task": (Answer.REFUSED, "wrong_workflow"),
        "named someone else": (Answer.REFUSED, "bad_signature"),
        "unsigned": (Answer.REFUSED, "unverified"),
    }
    assert (await decisions_of(second)).decisions == []
    await second.terminate("test done")
