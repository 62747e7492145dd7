"""The reviewer's `hitl` CLI on the real stack: inbox, show, and deciding through the update."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from hitl.client import start_task
from hitl.contracts import AgentTaskInput, PendingResult, TaskResult, TaskStatus
from hitl.contracts.inbox import InboxFilter
from hitl.names import PENDING_QUERY
from hitl.review.inbox import read_inbox
from hitl.review.terminal import card_for_terminal
from policies.proof import action_digest
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique
from workers.local.ports import free_port

pytestmark = pytest.mark.integration

Handle = WorkflowHandle[Any, TaskResult]


async def inbox_rows(live: LiveStack, mine: set[str], *args: str) -> list[tuple[Any, ...]]:
    """`hitl inbox --json ARGS`, only this test's tasks, projected to the fields that matter."""
    run = await hitl(live, "inbox", "--json", *args)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    return [
        (
            r["workflow_id"],
            r["request_id"],
            r["risk_tier"],
            r["tier"],
            r["assignees"],
            r["confidence"],
            r["priority"],
        )
        for r in rows
        if r["workflow_id"] in mine
    ]


async def test_inbox_filters_and_orders_by_deadline_or_priority(live: LiveStack) -> None:
    sure = await live.waiting_refund(250)  # fits the order: confidence 0.95
    unsure = await live.waiting_refund(400, total=300)  # capped to the order total: confidence 0.6
    mine = {sure.id, unsure.id}
    # Visibility is eventually consistent: wait until both tasks are listed as waiting.
    await assert_eventually(lambda: inbox_rows(live, mine), lambda rows: len(rows) == 2)

    leads = ["support-leads"]
    first = (sure.id, "approval-1", "high_risk_write", 0, leads, 0.95, 4.1)
    second = (unsure.id, "approval-1", "high_risk_write", 0, leads, 0.6, 4.8)
    assert await inbox_rows(live, mine) == [first, second]  # earliest deadline first
    assert await inbox_rows(live, mine, "--sort", "priority") == [second, first]
    assert await inbox_rows(live, mine, "--group", "support-leads", "--risk", "high_risk_write") == [
        first,
        second,
    ]
    assert await inbox_rows(live, mine, "--action", "issue_refund", "--tier", "0") == [first, second]
    assert await inbox_rows(live, mine, "--group", "managers") == []
    assert await inbox_rows(live, mine, "--tier", "1") == []
    assert await inbox_rows(live, mine, "--overdue") == []

    # Five hours from now both 4 h SLAs have passed: the overdue query finds them.
    later = datetime.now(UTC) + timedelta(hours=5)
    overdue = await read_inbox(live.client, InboxFilter(overdue=True, group="support-leads"), later)
    assert [(e.workflow_id, e.overdue) for e in overdue if e.workflow_id in mine] == [
        (sure.id, True),
        (unsure.id, True),
    ]

    table = await hitl(live, "inbox", "--group", "support-leads")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == [
        "TASK",
        "REQUEST",
        "DUE",
        "RISK",
        "PRIO",
        "CONF",
        "TIER",
        "GROUPS",
        "SUMMARY",
    ]
    bad = await hitl(live, "inbox", "--group", 'x" OR HitlStatus="done')
    assert bad.returncode == 2
    for handle in (sure, unsure):
        await handle.terminate(reason="test finished")


def expected_card(workflow_id: str, order: str, deadline: str, ui_url: str, digest: str) -> str:
    """The card of a 250 USD refund on a 900 USD order, written out by hand."""
    sign = f"hitl sign approve {workflow_id} --request approval-1 --as YOUR_ID"
    return f"""### Approval `approval-1`: Refund 250 USD on order {order}

**Tool** `issue_refund` · **risk** high_risk_write · **confidence** 0.95 · **tier** 1/3 (support-leads)
**Deadline** {deadline}
**Action digest** `{digest}`

**Arguments**
```json
{{
  "amount": 250.0,
  "currency": "USD",
  "order_id": "{order}",
  "reason": "customer request"
}}
```

**Facts** (established by the system)
- record: order {order} (shop.orders)
- customer: li-{order}@example.com
- customer tier: standard
- amount: 250 USD
- left on the record: 900
- bound: currency = 'USD' is the task's currency
- bound: order_id = '{order}' is the task's order_id
- budget refunds_per_customer (customer li-{order}@example.com, last 24h): 0 of 500 USD spent, this action 250; 0 of 5 actions
- budget refunds_per_task (task {workflow_id}): 0 of 300 USD spent, this action 250; 0 of 3 actions

**Claims** (the agent's; they can only tighten the verdict)
- confidence: 0.95
- amount: 250 USD
- customer tier: standard
- sentiment: neutral

**Why** The customer asks for 250; the order total is 900 and 900 is left to refund. The request fits the order.

**Sources**
- order {order} (lookup_order)
- refund policy: refund.toml

**Options**
- refund a partial amount
- offer store credit
- reject the request

**Recommendation** approve the refund of 250

**Rules that fired**
- `amount.above_threshold` amount 250 is above the threshold 100 _(fact: amount = 250)_
- `confidence.high` confidence 0.95 is above 0.9: execute and log _(claim: confidence = 0.95)_

**Decide** (approve, modify, reject, request_changes)
```
temporal workflow signal --workflow-id {workflow_id} --name decide --input "$({sign})"
```
[Open in the Temporal UI]({ui_url}/namespaces/default/workflows/{workflow_id})
"""


async def test_show_prints_the_context_card(live: LiveStack) -> None:
    order = unique("ord")
    handle = await live.waiting_refund(250, order_id=order)
    pending = await handle.query(PENDING_QUERY, result_type=PendingResult)
    deadline = pending.requests[0].deadline
    assert deadline is not None
    minute = deadline.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    digest = pending.requests[0].action_digest
    action = pending.requests[0].action
    assert digest == action_digest(action.tool, action.step, action.args)  # the canonical tool call
    card = expected_card(handle.id, order, minute, live.stack.ui_url, digest)
    shown = await hitl(live, "show", handle.id)
    assert (shown.returncode, shown.stdout) == (0, card_for_terminal(card.removesuffix("\n")) + "\n")
    markdown = await hitl(live, "show", handle.id, "--markdown")
    assert (markdown.returncode, markdown.stdout) == (0, card)
    other = await hitl(live, "show", handle.id, "--request", "approval-9")
    assert other.returncode == 4
    assert other.stderr == f"hitl show: {handle.id} has no open request 'approval-9'\n"
    missing = await hitl(live, "show", "no-such-task")
    assert (missing.returncode, missing.stderr) == (4, "hitl show: no task with workflow id 'no-such-task'\n")
    await handle.terminate(reason="test finished")


async def test_decisions_through_the_update_answer_at_once(live: LiveStack) -> None:
    handle = await live.waiting_refund(250)

    unknown = await hitl(live, "approve", handle.id, "--as", "zed")
    assert unknown.returncode == 3
    assert unknown.stderr.startswith(f"refused: {handle.id}: unverified: ")
    own = await hitl(live, "approve", handle.id, "--as", "svc")
    assert own.returncode == 3
    # svc holds no pinned key: refused before its name is compared (self_decision of a verified
    # requester: tests/workflow/test_verified_decisions.py).
    assert own.stderr.startswith(f"refused: {handle.id}: unverified: ")
    wrong = await hitl(live, "answer", handle.id, "--as", "alice", "--answer", "yes")
    assert wrong.returncode == 3
    assert wrong.stderr.startswith(f"refused: {handle.id}: outcome_not_allowed: ")
    nobody = await hitl(live, "approve", handle.id)
    assert (nobody.returncode, nobody.stderr) == (
        2,
        "hitl approve: invalid decision: name the reviewer with --as REVIEWER or HITL_REVIEWER\n",
    )

    modified = await hitl(
        live,
        "modify",
        handle.id,
        "--patch",
        '{"amount": 200}',
        "--reason",
        "wrong_amount",
        "--decision-id",
        "d-1",
        HITL_REVIEWER="alice",
    )
    assert modified.returncode == 0, modified.stderr
    assert modified.stdout.splitlines()[0] == f"accepted: {handle.id} approval-1 modify by alice"
    result = await handle.result()
    assert result.status is TaskStatus.COMPLETED
    refunds = await live.pool.fetch(
        "SELECT amount FROM shop.refunds WHERE idempotency_key LIKE $1", f"{handle.id}/%"
    )
    assert [r["amount"] for r in refunds] == [Decimal("200.00")]

    # The same decision again once the task has ended: nothing waits for it (not "already applied").
    again = await hitl(
        live,
        "modify",
        handle.id,
        "--patch",
        '{"amount": 200}',
        "--reason",
        "wrong_amount",
        "--decision-id",
        "d-1",
        HITL_REVIEWER="alice",
    )
    assert (again.returncode, again.stderr.split(": ")[:3]) == (3, ["closed", handle.id, "request_closed"])
    closed = await hitl(live, "approve", handle.id, "--as", "alice")
    assert closed.returncode == 3
    assert closed.stderr == (
        f"closed: {handle.id}: request_closed: task {handle.id!r} has already ended (completed); "
        "nothing is waiting for a decision\n"
    )
    missing = await hitl(live, "reject", "no-such-task", "--as", "alice")
    assert (missing.returncode, missing.stderr) == (
        4,
        "not_found: no-such-task: no task with workflow id 'no-such-task'\n",
    )


async def test_request_changes_and_reject_with_reason(live: LiveStack) -> None:
    handle = await live.waiting_refund(250)
    changes = await hitl(
        live, "request-changes", handle.id, "--as", "bob", "--comment", "refund 150 instead", "--json"
    )
    assert changes.returncode == 0, changes.stderr
    answer = json.loads(changes.stdout)
    assert (answer["answer"], answer["request_id"]) == ("accepted", "approval-1")
    # The agent revises; the revision stops at the gate again as a new request.
    await assert_eventually(
        lambda: handle.query(PENDING_QUERY, result_type=PendingResult),
        lambda p: [r.request_id for r in p.requests] == ["approval-1.2"],
    )
    rejected = await hitl(live, "reject", handle.id, "--as", "carol", "--reason", "policy_violation")
    assert rejected.returncode == 0, rejected.stderr
    assert (await handle.result()).status is TaskStatus.REJECTED


async def test_server_down_exits_5(live: LiveStack) -> None:
    down = f"127.0.0.1:{free_port()}"
    for argv in (("inbox",), ("show", "x"), ("approve", "x", "--as", "alice")):
        run = await hitl(live, *argv, TEMPORAL_ADDRESS=down)
        assert run.returncode == 5, (argv, run.stderr)
        assert f"hitl {argv[0]}: Temporal is unavailable" in run.stderr


async def test_a_task_whose_worker_does_not_answer_exits_5(live: LiveStack) -> None:
    task = AgentTaskInput(task_id=unique("orphan"), kind="refund", requester="svc", subject={"order_id": "x"})
    handle = await start_task(live.client, task, task_queue=unique("nobody-polls"))
    approve = await hitl(live, "approve", handle.id, "--as", "alice", "--timeout", "2")
    assert (approve.returncode, approve.stderr) == (
        5,
        f"unavailable: {handle.id}: no answer within 2 s: is the agent worker running?\n",
    )
    shown = await hitl(live, "show", handle.id)
    assert shown.returncode == 5, shown.stderr
    assert shown.stderr.startswith("hitl show: no answer in time (is the task's worker running?)")
    await handle.terminate(reason="test finished")


async def test_inbox_pages_through_the_queue(live: LiveStack) -> None:
    mine = {(await live.waiting_refund(250)).id for _ in range(3)}
    everything = await assert_eventually(
        lambda: hitl(live, "inbox", "--all", "--json"),
        lambda run: mine <= {json.loads(line)["workflow_id"] for line in run.stdout.splitlines()},
    )
    listed = [json.loads(line)["workflow_id"] for line in everything.stdout.splitlines()]

    paged: list[str] = []
    token: list[str] = []
    while True:
        page = await hitl(live, "inbox", "--json", "--limit", "1", *token)
        assert page.returncode == 0, page.stderr
        paged += [json.loads(line)["workflow_id"] for line in page.stdout.splitlines()]
        more = [w for w in page.stderr.split() if w.startswith("--page-token")]
        if not more:
            break
        token = ["--page-token", page.stderr.split("--page-token ")[1].split()[0]]
    assert len(paged) >= len(mine)
    assert sorted(paged) == sorted(listed)

    bad = await hitl(live, "inbox", "--page-token", "not a token!")
    assert (bad.returncode, bad.stdout) == (2, "")
