"""The local stack with its reviewer inbox, and a reviewer's HTTP session on it (no browser)."""

import re
from collections.abc import AsyncIterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import LiveStack
from workers.local.inbox import demo_password, inbox_url
from workers.local.scratch import scratch_stack


class InboxStack(LiveStack):
    """A running stack with the inbox; demo logins for every reviewer."""

    @property
    def url(self) -> str:
        assert self.stack.inbox_port is not None
        return inbox_url(self.stack.inbox_port)

    def password(self, reviewer: str) -> str:
        found = demo_password(self.stack.state, reviewer)
        assert found is not None, f"no demo login for {reviewer}"
        return found


@pytest.fixture(scope="module")
async def inbox_live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InboxStack]:
    """The stack on free ports with the inbox started as `make run` starts it."""
    async with scratch_stack(tmp_path_factory.mktemp("inbox-stack"), with_inbox=True) as started:
        yield InboxStack(started.stack, started.client, started.pool)


class Forms(HTMLParser):
    """The inputs of every form on a page, by form id, and the page's messages."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self.feed(html)
        self.flashes = [
            unescape(re.sub(r"\s+", " ", m).strip()) for m in re.findall(r'data-flash="\w+">([^<]*)<', html)
        ]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(values.get("id", f"form-{len(self.forms)}"), {})
        elif tag == "input" and self._form is not None and "name" in values:
            self._form[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


class Reviewer:
    """An HTTP session of one reviewer in the inbox."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    async def log_in(cls, live: InboxStack, name: str) -> "Reviewer":
        http = httpx.AsyncClient(base_url=live.url, timeout=30.0)
        page = await http.get("/")
        done = await http.post(
            "/login", data={**Forms(page.text).forms["form-0"], "name": name, "password": live.password(name)}
        )
        assert done.status_code == 303, done.text
        return cls(http)

    async def page(self, path: str) -> tuple[httpx.Response, Forms]:
        response = await self.http.get(path)
        return response, Forms(response.text)

    async def post(self, path: str, fields: dict[str, str]) -> tuple[httpx.Response, Forms]:
        """Post a form; follow the redirect to the page that shows the answer."""
        response = await self.http.post(path, data=fields, follow_redirects=True)
        return response, Forms(response.text)

    async def close(self) -> None:
        await self.http.aclose()


def card_path(workflow_id: str, request_id: str = "approval-1") -> str:
    return f"/r/{workflow_id}/{request_id}"


def state_dir(live: InboxStack) -> Path:
    return live.stack.state
