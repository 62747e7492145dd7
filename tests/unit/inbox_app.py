"""The inbox application in this process, on a lazy Temporal client that is never connected:
for the pages that do not reach Temporal (login, sessions, CSRF, rate limits)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from temporalio.client import Client

from hitl.inbox.accounts import Accounts
from hitl.inbox.app import build_app
from hitl.inbox.context import Inbox, Limiter
from hitl.inbox.directory import Directory
from hitl.settings import InboxProcessSettings

BASE_URL = "http://inbox.test"


@asynccontextmanager
async def inbox_client(settings: InboxProcessSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the inbox built from `settings`."""
    inbox = Inbox(
        settings=settings,
        client=await Client.connect("127.0.0.1:1", lazy=True),
        directory=Directory.load(settings.policy_dir),
        accounts=Accounts.load(settings.inbox_accounts_file),
        issuer=None,
        limiter=Limiter.of(settings),
    )
    transport = httpx.ASGITransport(app=build_app(inbox))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client
