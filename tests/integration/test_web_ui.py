"""The Temporal Web UI as the review queue, driven in headless Chromium on the real stack:
open a waiting task, read its input and context card, send the `decide` signal from the UI's
dialog, see the task complete. Payloads are encrypted: the UI decodes and encodes them through
the stack's codec server.

Needs Debian's `chromium` (`apt-get install -y chromium`; `.ci/run` installs it). Playwright's
own browser download cannot work offline, so the test drives the system browser and skips
with a message where it is missing.
"""

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import quote

import pytest

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import start_task
from hitl.contracts import AgentTaskInput, PendingResult, TaskStatus
from hitl.names import PENDING_QUERY
from tests.history_payloads import readable_text
from tests.integration.cli_runner import hitl
from tests.integration.conftest import LiveStack
from tests.support import assert_eventually, policy_copy, unique
from workers.local.chromium import CHROMIUM, CHROMIUM_ARGS, chromium_found
from workers.local.scratch import scratch_stack

pytestmark = pytest.mark.integration

UI_TIMEOUT_MS = 30_000
ENCRYPTED = "YmluYXJ5L2VuY3J5cHRlZA=="  # base64 of binary/encrypted


@pytest.fixture(scope="module")
async def ui_live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveStack]:
    """The local stack with its Web UI on a free port."""
    if not chromium_found():
        pytest.skip(f"Web UI test needs Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/run does)")
    pytest.importorskip("playwright.async_api", reason="the playwright package drives Chromium (dev extra)")
    state = tmp_path_factory.mktemp("ui-stack")
    # Calibration off (see `policy_copy`): the small refund below runs alone.
    async with scratch_stack(
        state, with_ui=True, pool_size=2, policy_dir=policy_copy(state / "policies")
    ) as started:
        yield LiveStack(started.stack, started.client, started.pool)


async def test_decide_from_the_web_ui_signal_dialog(ui_live: LiveStack) -> None:
    from playwright.async_api import async_playwright, expect

    order_id = unique("ord")
    await seed_orders(
        ui_live.pool, [DemoOrder(order_id=order_id, customer_email="li@example.com", total=Decimal("900"))]
    )
    task = AgentTaskInput(
        task_id=unique("ui"), kind="refund", requester="svc", subject={"order_id": order_id, "amount": 250}
    )
    handle = await start_task(ui_live.client, task)
    pending = await assert_eventually(
        lambda: handle.query(PENDING_QUERY, result_type=PendingResult), lambda p: len(p.requests) == 1
    )
    request = pending.requests[0]
    # The reviewer pastes what `hitl sign` prints: the high-risk refund counts signed decisions only.
    signing = await hitl(ui_live, "sign", "approve", handle.id, "--as", "alice", "--comment", "from the UI")
    assert signing.returncode == 0, signing.stderr
    # A small refund runs alone: it must not be in the queue.
    small = await start_task(
        ui_live.client,
        AgentTaskInput(
            task_id=unique("ui-small"),
            kind="refund",
            requester="svc",
            subject={"order_id": order_id, "amount": 5},
        ),
    )
    assert (await small.result()).status is TaskStatus.COMPLETED
    assert request.ui_url == f"{ui_live.stack.ui_url}/namespaces/default/workflows/{handle.id}"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            # The queue: the workflow list filtered by a visibility query in the address.
            queue = 'HitlStatus="waiting" AND HitlAssignees="support-leads"'
            await page.goto(f"{ui_live.stack.ui_url}/namespaces/default/workflows?query={quote(queue)}")
            await expect(page.get_by_role("link", name=handle.id)).to_be_visible(timeout=UI_TIMEOUT_MS)
            await expect(page.get_by_role("link", name=small.id)).to_have_count(0)
            await page.get_by_role("link", name=handle.id).click()
            await page.wait_for_url(request.ui_url + "**")
            await expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
            # The input is encrypted in history; the UI shows it decoded through the codec server.
            await expect(page.get_by_text(order_id).first).to_be_visible(timeout=UI_TIMEOUT_MS)

            # The context card is the workflow's current details (User Metadata tab).
            await page.get_by_role("tab", name="User Metadata").click()
            await expect(page.get_by_text("Current Details")).to_be_visible(timeout=UI_TIMEOUT_MS)
            # The UI renders markdown in a sandboxed frame: Summary first, Current Details last.
            card = page.frame_locator("iframe").last
            heading = f"Refund 250 USD on order {order_id}"
            await expect(card.get_by_text(heading).first).to_be_visible(timeout=UI_TIMEOUT_MS)
            await expect(card.get_by_text("amount.above_threshold").first).to_be_visible()
            await expect(card.get_by_text(f"--workflow-id {handle.id} --name decide").first).to_be_visible()

            # More Actions -> Send a Signal -> decide, with the decision as JSON.
            await page.get_by_role("button", name="More Actions").click()
            await page.get_by_role("menuitem", name="Send a Signal").click()
            # The page keeps every action's dialog in its markup; work in the open one.
            dialog = page.locator("dialog[open]")
            await dialog.get_by_test_id("signal-select-button").click()
            await page.get_by_role("option", name="decide", exact=True).click()
            data = dialog.get_by_role("textbox", name="Data")
            await data.click()
            await page.keyboard.insert_text(signing.stdout.strip())
            # Leave the editor first, as a person does: it reformats the JSON on blur, and a
            # click that lands during that re-render is lost.
            await dialog.get_by_text("Single JSON payload supported.").click()
            await dialog.get_by_role("button", name="Submit").click()
            await expect(dialog).to_have_count(0, timeout=UI_TIMEOUT_MS)

            await expect(page.get_by_text("Completed", exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
        except AssertionError:
            shot = ui_live.stack.state / "web-ui-failure.png"
            await page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"see {shot}") from None
        finally:
            await browser.close()

    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")
    # The dialog's JSON went through the codec server's /encode: history holds it encrypted.
    raw = ui_live.temporal("workflow", "show", "--workflow-id", handle.id, "--output", "json")
    signals = [
        event["workflowExecutionSignaledEventAttributes"]["input"]["payloads"]
        for event in json.loads(raw.stdout)["events"]
        if event["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"
    ]
    assert [[p["metadata"]["encoding"] for p in sent] for sent in signals] == [[ENCRYPTED]]
    assert "from the UI" not in readable_text(raw.stdout)
