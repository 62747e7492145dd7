"""Proof that Temporal holds no customer data in the clear (issue 13, point 3).

On the real stack: a refund task is decided through the codec server with the `temporal` CLI;
its raw history (`temporal workflow show --output json`, no codec) holds none of the customer's
email, the order's data, the customer's message, the reviewer's comment or the card's text, and
every payload is encrypted except the search attributes. Through the codec server the same
history reads in full, and it replays with the codec's converter; with another key it does not,
and says why.
"""

import json
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.common import HeaderCodecBehavior
from temporalio.worker import Replayer

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.codec import encrypted_data_converter, load_codec_keys
from hitl.codec.keys import new_key
from hitl.contracts import AgentTaskInput, PendingResult, TaskResult, TaskStatus
from hitl.names import PENDING_QUERY
from tests.codec_keys import TEST_CONVERTER
from tests.history_payloads import payloads, readable_text
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, unique
from workers.agent import SANDBOX
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.integration

ENCRYPTED = "YmluYXJ5L2VuY3J5cHRlZA=="  # base64 of binary/encrypted


def codec_flags(live: LiveStack) -> list[str]:
    codec = live.stack.codec
    return ["--codec-endpoint", codec.endpoint, "--codec-auth", f"Bearer {codec.token}"]


SDK_MARKER_FIELDS = {"core_patch": "patch-data", "core_local_activity": "data"}
"""Marker fields the SDK writes itself, in the clear: a patch's id, and a local activity's type,
attempt and times (its result is a payload of ours, encrypted)."""


def without_sdk_bookkeeping(history: Any) -> Any:
    """The history's JSON without the SDK's own marker fields (`SDK_MARKER_FIELDS`)."""
    for event in history["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker is not None:
            marker.get("details", {}).pop(SDK_MARKER_FIELDS.get(marker["markerName"], ""), None)
    return history


async def test_history_holds_no_customer_data_in_the_clear_and_replays_with_the_codec(
    live: LiveStack,
) -> None:
    email, order_id = f"{unique('cust')}@example.com", unique("ord")
    message, comment = f"lamp {unique('m')} arrived broken", f"checked {unique('c')} with the courier"
    await seed_orders(
        live.pool, [DemoOrder(order_id=order_id, customer_email=email, total=Decimal("731.45"))]
    )
    task = AgentTaskInput(
        task_id=unique("enc"),
        kind="refund",
        requester="svc",
        subject={"order_id": order_id, "amount": 250, "customer_message": message},
    )
    handle = await start_task(live.client, task)
    pending = await assert_eventually(
        lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
    )
    card_lines = [
        line for line in pending.requests[0].card.splitlines() if order_id in line or "**Why**" in line
    ]
    assert len(card_lines) >= 2, pending.requests[0].card

    # The card (the workflow's current details) reads only through the codec.
    plain_metadata = live.temporal("workflow", "metadata", "--workflow-id", handle.id)
    assert all(line not in plain_metadata.stdout + plain_metadata.stderr for line in card_lines)
    metadata = live.temporal("workflow", "metadata", "--workflow-id", handle.id, *codec_flags(live))
    assert metadata.returncode == 0, metadata.stderr
    assert all(line in metadata.stdout for line in card_lines)

    # Signed by the demo reviewer's key, as the README's Temporal CLI path does.
    signed = await hitl(live, "sign", "approve", handle.id, "--as", "alice", "--comment", comment)
    assert signed.returncode == 0, signed.stderr
    decision = signed.stdout.strip()
    signal = live.temporal(
        "workflow",
        "signal",
        "--workflow-id",
        handle.id,
        "--name",
        "decide",
        "--input",
        decision,
        *codec_flags(live),
    )
    assert signal.returncode == 0, signal.stderr
    result: TaskResult = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")

    raw = live.temporal("workflow", "show", "--workflow-id", handle.id, "--output", "json")
    assert raw.returncode == 0, raw.stderr
    secrets = [email, order_id, "731.45", message, comment, *card_lines]
    seen = readable_text(raw.stdout)
    assert [s for s in secrets if s in seen] == []
    history: Any = json.loads(raw.stdout)
    not_encrypted = [
        p
        for p in payloads(without_sdk_bookkeeping(history))
        if p["metadata"]["encoding"] != ENCRYPTED and "type" not in p["metadata"]
    ]
    assert not_encrypted == []  # only search attributes (which carry a `type`) are in the clear

    decoded = live.temporal(
        "workflow", "show", "--workflow-id", handle.id, "--output", "json", *codec_flags(live)
    )
    assert decoded.returncode == 0, decoded.stderr
    assert [s for s in (email, order_id, message, comment) if s not in readable_text(decoded.stdout)] == []

    recorded = WorkflowHistory.from_json(handle.id, raw.stdout)
    # In the namespace it ran in: the signed decision is bound to it.
    replayed = await Replayer(
        workflows=WORKFLOWS,
        data_converter=TEST_CONVERTER,
        workflow_runner=SANDBOX,
        namespace=live.client.namespace,
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    ).replay_workflow(recorded, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
    other = encrypted_data_converter(load_codec_keys({"HITL_CODEC_KEYS": f"other={new_key()}"}))
    refused = await Replayer(
        workflows=WORKFLOWS, data_converter=other, workflow_runner=SANDBOX
    ).replay_workflow(recorded, raise_on_replay_failure=False)
    # The failure's message travels encrypted; its type names the codec's refusal.
    assert 'r#type: "CodecKeyError"' in str(refused.replay_failure)
