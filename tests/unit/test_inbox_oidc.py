"""OIDC login to the inbox (authlib) against a local provider: the ID token's claim names the
reviewer; an account at the provider that is not a reviewer is refused."""

from pathlib import Path
from typing import Any

import httpx

import policies
from hitl.settings import InboxProcessSettings
from tests.fake_oidc_provider import FakeOidcProvider
from tests.unit.inbox_app import BASE_URL, inbox_client


async def sso_login(
    claims: dict[str, Any], subjects: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """Log in through the provider; return the callback's answer and the queue's."""
    with FakeOidcProvider("hitl-inbox", claims).running() as provider:
        settings = InboxProcessSettings(
            oidc_issuer=provider.issuer,
            oidc_subjects=subjects,
            inbox_url=BASE_URL,
            policy_dir=Path(policies.__file__).parent,
        )
        async with inbox_client(settings) as inbox, httpx.AsyncClient() as browser:
            start = await inbox.get("/login/oidc?next=/queue%3Frisk%3Dirreversible")
            assert start.status_code == 302
            assert start.headers["location"].startswith(f"{provider.issuer}/authorize?")
            back = await browser.get(start.headers["location"])
            callback = await inbox.get(back.headers["location"].removeprefix(BASE_URL))
            return callback, await inbox.get("/no-such-page")


async def test_the_id_tokens_claim_names_the_reviewer() -> None:
    callback, page = await sso_login(
        {"sub": "u-17", "email": "Alice@Example.com"}, {"alice@example.com": "alice"}
    )
    assert (callback.status_code, callback.headers["location"]) == (303, "/queue?risk=irreversible")
    assert 'Logged in as <strong id="me">alice</strong>' in page.text


async def test_an_account_that_is_not_a_reviewer_is_refused() -> None:
    callback, page = await sso_login({"sub": "u-9", "email": "mallory@example.com"}, {})
    assert callback.status_code == 403
    assert "mallory@example.com is not a reviewer in the policies." in callback.text
    assert "Logged in as" not in page.text


async def test_the_login_page_offers_sso_without_local_accounts() -> None:
    settings = InboxProcessSettings(
        oidc_issuer="http://127.0.0.1:9", policy_dir=Path(policies.__file__).parent
    )
    async with inbox_client(settings) as inbox:
        page = await inbox.get("/")
    assert 'href="/login/oidc?next=/queue"' in page.text
    assert 'name="password"' not in page.text
