"""The reviewer inbox in a real browser (Debian's Chromium driven by Playwright) on the real stack:
log in, open the queue, read a card, approve with the keyboard and see the task complete; modify
through the generated form; a reviewer without the limit sees why and who can; another group's
request by URL is refused; a batch of 20.

With `HITL_INBOX_SCREENSHOTS=DIR` the first test saves the queue and the card there (docs/).
"""

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from hitl.contracts import TaskResult, TaskStatus, TaskStatusView
from hitl.names import STATUS_QUERY
from tests.integration.inbox_support import InboxStack, card_path, inbox_live
from tests.integration.test_web_ui import UI_TIMEOUT_MS
from tests.support import unique
from workers.local.chromium import CHROMIUM, CHROMIUM_ARGS, chromium_found

pytestmark = pytest.mark.integration
__all__ = ["inbox_live"]

SHOTS = os.environ.get("HITL_INBOX_SCREENSHOTS")


@pytest.fixture(scope="module")
async def browser(inbox_live: InboxStack) -> AsyncIterator[Any]:
    if not chromium_found():
        pytest.skip(f"the inbox browser tests need Chromium at {CHROMIUM}: `apt-get install -y chromium`")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def logged_in(browser: Any, live: InboxStack, name: str, path: str = "/queue") -> Any:
    """A fresh browser session of `name`, on `path` (through the login page, as a person goes)."""
    page = await (await browser.new_context(viewport={"width": 1300, "height": 900})).new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    await page.goto(live.url + path)
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(live.password(name))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**{path.split('?')[0]}*")
    return page


async def status(handle: WorkflowHandle[Any, TaskResult]) -> TaskStatusView:
    found: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
    return found


async def test_read_a_card_approve_with_the_keyboard_and_the_task_completes(
    inbox_live: InboxStack, browser: Any
) -> None:
    from playwright.async_api import expect

    others = [await inbox_live.waiting_refund(amount, total=2000) for amount in (1500, 120)]
    handle = await inbox_live.waiting_refund(250)
    page = await logged_in(browser, inbox_live, "alice")
    row = page.locator(f"tr[data-path='{card_path(handle.id)}']")
    await expect(row).to_be_visible()
    paths = await page.locator("#rows tr[data-path]").evaluate_all("rows => rows.map(r => r.dataset.path)")
    for _ in range(paths.index(card_path(handle.id))):
        await page.keyboard.press("j")
    await expect(row).to_have_class("high_risk_write selected")
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/inbox-queue.png")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**{card_path(handle.id)}")
    await expect(page.locator("#summary")).to_contain_text("Refund 250 USD on order")
    await expect(page.locator("#rules")).to_contain_text("amount.above_threshold")
    await expect(page.locator("#standing")).to_have_count(0)
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/inbox-card.png", full_page=True)
    await page.keyboard.press("a")
    await expect(page.locator("#confirm")).to_be_visible()  # a high-risk action asks first
    assert (await status(handle)).decisions == []
    await page.keyboard.press("y")
    await expect(page.locator("[data-flash=ok]")).to_have_text(
        f"Approved {handle.id} (approval-1): accepted."
    )
    result = await handle.result()
    assert (result.status, result.steps[1].decided_by) == (TaskStatus.COMPLETED, "alice")
    for other in others:
        await other.terminate("test done")


async def test_modify_through_the_form_generated_from_the_tools_model(
    inbox_live: InboxStack, browser: Any
) -> None:
    from playwright.async_api import expect

    handle = await inbox_live.waiting_refund(250)
    page = await logged_in(browser, inbox_live, "bob", card_path(handle.id))
    await page.keyboard.press("m")
    amount = page.get_by_label("Amount *")
    await expect(amount).to_have_value("250.0")
    await amount.fill("0")
    await page.get_by_role("button", name="Review changes").click()
    await expect(page.locator("[data-error-for=amount]")).to_have_text("Input should be greater than 0")
    assert (await status(handle)).decisions == []
    await page.get_by_label("Amount *").fill("120")
    await page.get_by_role("button", name="Review changes").click()
    await expect(page.locator("#diff tr:has(td) > *")).to_have_text(["amount", "250.0", "120.0"])
    await page.get_by_role("button", name="Send modified approval").click()
    await expect(page.locator("[data-flash=ok]")).to_have_text(
        f"Approved with changes {handle.id} (approval-1): accepted."
    )
    result = await handle.result()
    assert (result.status, result.steps[1].args["amount"], result.steps[1].decided_by) == (
        TaskStatus.COMPLETED,
        120.0,
        "bob",
    )


async def test_a_reviewer_without_the_limit_sees_why_and_who_can(
    inbox_live: InboxStack, browser: Any
) -> None:
    from playwright.async_api import expect

    handle = await inbox_live.waiting_refund(1500, total=2000)
    try:
        page = await logged_in(browser, inbox_live, "alice", card_path(handle.id))
        await expect(page.locator("#standing")).to_contain_text(
            "You cannot approve this: your approval limit is 1,000.00 and this is 1,500.00."
        )
        await expect(page.locator("#who-can")).to_have_text("carol, dave, erin")
        await expect(page.get_by_role("button", name="a Approve")).to_be_disabled()
        await page.keyboard.press("a")
        await expect(page.locator("#standing")).to_have_class("standing flash-now")
        assert (await status(handle)).decisions == []
    finally:
        await handle.terminate("test done")


async def test_another_groups_request_by_url_is_refused(inbox_live: InboxStack, browser: Any) -> None:
    from playwright.async_api import expect

    handle = await inbox_live.waiting_refund(250)
    try:
        page = await logged_in(browser, inbox_live, "sam", "/queue")
        response = await page.goto(inbox_live.url + card_path(handle.id))
        assert response.status == 403
        await expect(page.locator("#problem")).to_have_text(
            "this request is not in your queue: your groups may not decide it"
        )
        await expect(page.get_by_text("Refund 250")).to_have_count(0)
    finally:
        await handle.terminate("test done")


async def test_a_batch_of_20_from_the_queue_that_fills_itself(inbox_live: InboxStack, browser: Any) -> None:
    from playwright.async_api import expect

    page = await logged_in(browser, inbox_live, "carol", "/queue?action=issue_refund")
    await expect(page.locator("#count")).to_have_text("0")
    prefix = unique("batch")
    handles = await asyncio.gather(
        *(inbox_live.waiting_refund(250, task_id=f"{prefix}-{i}") for i in range(20))
    )
    # Nobody reloads: the queue refreshes itself as the tasks arrive.
    await expect(page.locator("#count")).to_have_text("20", timeout=60_000)
    await page.get_by_role("button", name="Decide all 20 matching").click()
    await expect(page.locator("#total")).to_have_text("20 request(s), amounts adding up to 5,000.00.")
    await page.get_by_label("I have read them: some are high-risk actions").check()
    await page.get_by_role("button", name="Decide 20").click()
    await expect(page.locator("#batch-summary")).to_have_text("20 of 20 accepted", timeout=60_000)
    await expect(page.locator("#results tr[data-result=ok]")).to_have_count(20)
    results = await asyncio.gather(*(h.result() for h in handles))
    assert {(r.status, r.steps[1].decided_by) for r in results} == {(TaskStatus.COMPLETED, "carol")}
