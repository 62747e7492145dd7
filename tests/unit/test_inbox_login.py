"""Logging in to the inbox: local accounts, CSRF, rate limits, sessions and headers.

These pages never reach Temporal, so the app runs on a lazy client that is never connected.
"""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import policies
from hitl.inbox.accounts import hash_password, save
from hitl.settings import InboxProcessSettings
from tests.unit.inbox_app import inbox_client

PASSWORD = "correct horse battery"


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    accounts = tmp_path / "accounts.jsonl"
    save(accounts, {"alice": hash_password(PASSWORD), "mallory": hash_password(PASSWORD)})
    settings = InboxProcessSettings(
        inbox_accounts_file=accounts, policy_dir=Path(policies.__file__).parent, inbox_login_rate="3/minute"
    )
    async with inbox_client(settings) as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


async def log_in(http: httpx.AsyncClient, name: str, password: str, **extra: str) -> httpx.Response:
    page = await http.get("/")
    return await http.post(
        "/login", data={"csrf": csrf_of(page), "name": name, "password": password, **extra}
    )


async def test_the_root_is_the_login_page_with_strict_headers(http: httpx.AsyncClient) -> None:
    page = await http.get("/")
    assert page.status_code == 200
    assert '<input name="password" type="password"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert (page.headers["x-frame-options"], page.headers["cache-control"]) == ("DENY", "no-store")
    cookie = page.headers["set-cookie"]
    assert (
        cookie.startswith("hitl_inbox=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    )


async def test_a_good_password_logs_in_and_goes_back_where_it_was_asked_for(http: httpx.AsyncClient) -> None:
    asked = await http.get("/queue?risk=high_risk_write")
    assert (asked.status_code, asked.headers["location"]) == (303, "/?next=%2Fqueue%3Frisk%3Dhigh_risk_write")
    done = await log_in(http, "alice", PASSWORD, next="/queue?risk=high_risk_write")
    assert (done.status_code, done.headers["location"]) == (303, "/queue?risk=high_risk_write")
    again = await http.get("/")
    assert (again.status_code, again.headers["location"]) == (303, "/queue")


async def test_a_wrong_password_or_a_non_reviewer_is_refused(http: httpx.AsyncClient) -> None:
    wrong = await log_in(http, "alice", "guess")
    assert (wrong.status_code, "Wrong name or password." in wrong.text) == (401, True)
    # mallory has an account but is in no policy's reviewer directory.
    stranger = await log_in(http, "mallory", PASSWORD)
    assert stranger.status_code == 401
    assert (await http.get("/queue")).status_code == 303


async def test_a_login_without_the_csrf_token_is_refused(http: httpx.AsyncClient) -> None:
    await http.get("/")
    forged = await http.post("/login", data={"csrf": "forged", "name": "alice", "password": PASSWORD})
    assert forged.status_code == 403
    assert "CSRF check failed" in forged.text


async def test_failed_logins_are_rate_limited_even_with_the_right_password(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await log_in(http, "alice", "guess")).status_code == 401
    limited = await log_in(http, "alice", PASSWORD)
    assert limited.status_code == 429
    assert "Too many failed logins" in limited.text


async def test_next_never_leaves_the_inbox(http: httpx.AsyncClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        done = await log_in(http, "alice", PASSWORD, next=target)
        assert done.headers["location"] == "/queue"
        logout = await http.post("/logout", data={"csrf": csrf_of(await http.get("/queue/missing"))})
        assert logout.status_code == 303


async def test_logging_out_ends_the_session(http: httpx.AsyncClient) -> None:
    await log_in(http, "alice", PASSWORD)
    page = await http.get("/no-such-page")
    assert (page.status_code, 'Logged in as <strong id="me">alice</strong>' in page.text) == (404, True)
    assert (await http.post("/logout", data={"csrf": "stale"})).status_code == 403
    await http.post("/logout", data={"csrf": csrf_of(page)})
    assert (await http.get("/queue")).status_code == 303


async def test_probes_say_whether_temporal_answers(http: httpx.AsyncClient) -> None:
    assert (await http.get("/livez")).status_code == 200
    ready = await http.get("/readyz")  # the lazy client points at a closed port
    assert (ready.status_code, ready.text) == (503, "Temporal is not answering")
