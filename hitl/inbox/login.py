"""Logging in and out: local accounts (argon2 hashes) and OIDC (authlib), both rate limited.

A login names a reviewer of the policies' directories; anyone else is refused even with a valid
password or identity-provider account. Failed local logins count per account name and per
client address; over the limit, logins are refused without checking the password.
"""

import unicodedata
import warnings
from typing import Any

import authlib.deprecate
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hitl.inbox.context import Inbox
from hitl.inbox.session import check_csrf, log_in, log_out, reviewer_of, safe_next

with warnings.catch_warnings():
    # authlib asks for the `httpx2` fork; it still supports httpx, which the project pins.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

OIDC = "oidc"


async def login_page(inbox: Inbox, request: Request) -> Response:
    """The root: the login page, or the queue when already logged in."""
    target = safe_next(request.query_params.get("next"))
    if reviewer_of(request) is not None:
        return RedirectResponse(target, status_code=303)
    return inbox.render(request, "login.html", next=target)


async def login(inbox: Inbox, request: Request) -> Response:
    """Check a local account's password and start a session."""
    form = await request.form()
    check_csrf(request, form)
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else "?"
    keys = (f"name:{normalize_name(name)}", f"address:{address}")
    if not inbox.limiter.login_allowed(*keys):
        return inbox.render(
            request,
            "login.html",
            429,
            next=target,
            error="Too many failed logins: wait a minute and try again.",
        )
    if not (inbox.accounts.check(name, password) and inbox.directory.is_reviewer(name)):
        inbox.limiter.login_failed(*keys)
        return inbox.render(request, "login.html", 401, next=target, error="Wrong name or password.")
    log_in(request, name, "password", inbox.settings.inbox_session_hours)
    return RedirectResponse(target, status_code=303)


async def logout(inbox: Inbox, request: Request) -> Response:
    """End the session."""
    check_csrf(request, await request.form())
    log_out(request)
    return RedirectResponse("/", status_code=303)


def oidc_client(inbox: Inbox) -> Any:
    """The authlib client of the configured OIDC provider."""
    settings = inbox.settings
    oauth = OAuth()
    oauth.register(
        OIDC,
        server_metadata_url=f"{(settings.oidc_issuer or '').rstrip('/')}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.create_client(OIDC)


async def oidc_start(inbox: Inbox, client: Any, request: Request) -> Response:
    """Send the browser to the identity provider."""
    request.session["oidc_next"] = safe_next(request.query_params.get("next"))
    redirect: Response = await client.authorize_redirect(
        request, f"{inbox.settings.base_url()}/login/oidc/callback"
    )
    return redirect


async def oidc_callback(inbox: Inbox, client: Any, request: Request) -> Response:
    """Finish the OIDC login: the ID token's claim names the reviewer."""
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as err:
        return inbox.render(
            request, "login.html", 401, next="/queue", error=f"Login failed: {err.description}"
        )
    claims = token.get("userinfo") or {}
    value = claims.get(inbox.settings.oidc_claim)
    reviewer = _reviewer_for(inbox, value) if isinstance(value, str) else None
    if reviewer is None or not inbox.directory.is_reviewer(reviewer):
        shown = value if isinstance(value, str) else "(no such claim)"
        return inbox.render(
            request, "login.html", 403, next="/queue", error=f"{shown} is not a reviewer in the policies."
        )
    target = safe_next(request.session.get("oidc_next"))
    log_in(request, reviewer, OIDC, inbox.settings.inbox_session_hours)
    return RedirectResponse(target, status_code=303)


def normalize_name(name: str) -> str:
    """Names compare as the gate compares them: NFKC, casefolded, trimmed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _reviewer_for(inbox: Inbox, claim_value: str) -> str:
    subjects = {normalize_name(k): v for k, v in inbox.settings.oidc_subjects.items()}
    return subjects.get(normalize_name(claim_value), claim_value)
