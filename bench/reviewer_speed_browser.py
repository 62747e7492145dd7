"""Reviewer speed in a browser (Debian's Chromium, driven by Playwright): the reviewer inbox and
the Temporal Web UI's signal dialog, next to the CLI runs of `bench.reviewer_speed`.

The reviewer is already logged in. The clock starts when the page shows the card (or the queue,
for a batch) and stops when the decision is applied in the workflow (its `status` query shows
it); every key pressed and every click is counted. Reading time is the human's and is not
measured.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import WorkflowHandle

from bench.scenario import Scenario
from hitl.contracts import TaskResult, TaskStatusView
from hitl.names import STATUS_QUERY

TIMEOUT_MS = 60_000


class Counted:
    """A page whose key presses and clicks are counted."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.keys = 0
        self.clicks = 0
        self.commands = 0

    async def press(self, key: str) -> None:
        self.keys += 1
        await self.page.keyboard.press(key)

    async def paste(self, text: str) -> None:
        """Paste `text` (one key: the Web UI's editor closes brackets itself as a person types)."""
        self.keys += 1
        await self.page.keyboard.insert_text(text)

    async def click(self, locator: Any) -> None:
        self.clicks += 1
        await locator.click()


async def logged_in(browser: Any, inbox: str, name: str, password: str) -> Any:
    """A page of a browser session logged in to the inbox as `name`."""
    page = await (await browser.new_context(viewport={"width": 1300, "height": 900})).new_page()
    await page.goto(inbox)
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/queue", timeout=TIMEOUT_MS)
    return page


async def applied(handles: list[WorkflowHandle[Any, TaskResult]]) -> float:
    """Wait until every task's `status` shows a decision; return that moment."""

    async def one(handle: WorkflowHandle[Any, TaskResult]) -> None:
        while True:
            status: TaskStatusView = await handle.query(STATUS_QUERY, result_type=TaskStatusView)
            if status.decisions:
                return
            await asyncio.sleep(0.01)

    await asyncio.gather(*(one(h) for h in handles))
    return time.monotonic()


async def completed(handles: list[WorkflowHandle[Any, TaskResult]]) -> float:
    await asyncio.gather(*(h.result() for h in handles))
    return time.monotonic()


def scenario(
    name: str, handles: list[Any], page: Counted, start: float, decided: float, done: float
) -> Scenario:
    return Scenario(
        name=name,
        requests=len(handles),
        commands=page.commands,
        seconds_to_decided=decided - start,
        seconds_to_completed=done - start,
        seconds_per_request=(decided - start) / len(handles),
        keystrokes=page.keys,
        clicks=page.clicks,
        clock="card shown .. decision applied",
    )


async def inbox_one(page: Any, inbox: str, handle: WorkflowHandle[Any, TaskResult]) -> Scenario:
    """One request: the notice's link opens the card; `a`, then `y` to confirm (high risk)."""
    from playwright.async_api import expect

    counted = Counted(page)
    await page.goto(f"{inbox}/r/{handle.id}/approval-1")
    await expect(page.locator("#summary")).to_be_visible(timeout=TIMEOUT_MS)
    start = time.monotonic()
    await counted.press("a")
    await counted.press("y")
    decided = await applied([handle])
    return scenario("inbox, 1 request: a, y", [handle], counted, start, decided, await completed([handle]))


async def inbox_each(page: Any, inbox: str, handles: list[WorkflowHandle[Any, TaskResult]]) -> Scenario:
    """Requests one by one: Enter on the queue opens the first card; `a`, `y` decides it and
    opens the next."""
    from playwright.async_api import expect

    counted = Counted(page)
    await page.goto(f"{inbox}/queue?action=issue_refund")
    await expect(page.locator("#count")).to_have_text(str(len(handles)), timeout=TIMEOUT_MS)
    order = await page.locator("#rows tr[data-path]").evaluate_all("rows => rows.map(r => r.dataset.path)")
    await counted.press("Enter")
    await page.wait_for_url(f"**{order[0]}", timeout=TIMEOUT_MS)
    start = time.monotonic()
    for following in [*order[1:], "/queue"]:
        await counted.press("a")
        await counted.press("y")
        await page.wait_for_url(f"**{following}", timeout=TIMEOUT_MS)
    decided = await applied(handles)
    name = f"inbox, {len(handles)} requests one by one: Enter, {len(handles)} x (a, y)"
    return scenario(name, handles, counted, start, decided, await completed(handles))


async def inbox_batch(page: Any, inbox: str, handles: list[WorkflowHandle[Any, TaskResult]]) -> Scenario:
    """A batch: all matching the queue's filter, confirm the high-risk ones, decide."""
    from playwright.async_api import expect

    counted = Counted(page)
    n = len(handles)
    await page.goto(f"{inbox}/queue?action=issue_refund")
    await expect(page.locator("#count")).to_have_text(str(n), timeout=TIMEOUT_MS)
    start = time.monotonic()
    await counted.click(page.get_by_role("button", name=f"Decide all {n} matching"))
    await counted.click(page.get_by_label("I have read them: some are high-risk actions"))
    await counted.click(page.get_by_role("button", name=f"Decide {n}"))
    await expect(page.locator("#batch-summary")).to_have_text(f"{n} of {n} accepted", timeout=TIMEOUT_MS)
    decided = await applied(handles)
    name = f"inbox, {n} requests as a batch: all matching, confirm, decide"
    return scenario(name, handles, counted, start, decided, await completed(handles))


async def web_ui_one(
    page: Any, ui_url: str, handle: WorkflowHandle[Any, TaskResult], sign: Callable[[], Awaitable[str]]
) -> Scenario:
    """The Temporal Web UI: the card in User Metadata; `sign` (the reviewer's `hitl sign` in a
    terminal) makes the signed decision; then More Actions, Send a Signal, pick `decide`, paste
    it, submit."""
    from playwright.async_api import expect

    counted = Counted(page)
    await page.goto(f"{ui_url}/namespaces/default/workflows/{handle.id}")
    await page.get_by_role("tab", name="User Metadata").click(timeout=TIMEOUT_MS)
    await expect(page.frame_locator("iframe").last.get_by_text("Refund 250").first).to_be_visible(
        timeout=TIMEOUT_MS
    )
    start = time.monotonic()
    decision = await sign()
    counted.commands += 1
    await counted.click(page.get_by_role("button", name="More Actions"))
    await counted.click(page.get_by_role("menuitem", name="Send a Signal"))
    dialog = page.locator("dialog[open]")
    await counted.click(dialog.get_by_test_id("signal-select-button"))
    await counted.click(page.get_by_role("option", name="decide", exact=True))
    await counted.click(dialog.get_by_role("textbox", name="Data"))
    await counted.paste(decision.strip())
    await counted.click(dialog.get_by_text("Single JSON payload supported."))
    await counted.click(dialog.get_by_role("button", name="Submit"))
    decided = await applied([handle])
    name = "Web UI signal dialog, 1 request: hitl sign, 7 clicks, paste"
    return scenario(name, [handle], counted, start, decided, await completed([handle]))
