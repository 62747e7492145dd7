"""The inbox's routes, sessions and security headers, as one Starlette application.

| route | what |
|---|---|
| `GET /` | the login page (the queue when logged in) |
| `POST /login`, `POST /logout`, `GET /login/oidc[/callback]` | sessions |
| `GET /queue`, `GET /queue/rows` | the reviewer's queue (the rows alone for the page's refresh) |
| `GET /r/{workflow_id}/{request_id}` | a request's card (notifications link here) |
| `POST /r/{workflow_id}/{request_id}/decide` | send a decision |
| `GET, POST /r/{workflow_id}/{request_id}/modify` | the modify form, then its diff |
| `POST /batch`, `POST /batch/decide` | batch preview, then the batch decision |
| `GET /livez`, `GET /readyz` | probes: the process serves; Temporal answers too |
"""

import functools
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError

from hitl.inbox import batch, deciding, login, modify, pages
from hitl.inbox.context import Inbox
from hitl.inbox.session import Forbidden, LoginNeeded, login_redirect

STATIC = Path(__file__).parent / "static"
READY_TIMEOUT = timedelta(seconds=2)
"""How long `/readyz` waits for Temporal's health check."""
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def build_app(inbox: Inbox) -> Starlette:
    """The inbox application over `inbox`'s client, directory, accounts and issuer."""
    settings = inbox.settings

    def bound(
        handler: Callable[[Inbox, Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        return functools.partial(handler, inbox)

    card = "/r/{workflow_id}/{request_id}"
    routes = [
        Route("/", bound(login.login_page)),
        Route("/login", bound(login.login), methods=["POST"]),
        Route("/logout", bound(login.logout), methods=["POST"]),
        Route("/queue", bound(pages.queue)),
        Route("/queue/rows", bound(pages.queue_rows)),
        Route(card, bound(pages.card)),
        Route(card + "/decide", bound(deciding.decide), methods=["POST"]),
        Route(card + "/modify", bound(modify.modify_form), methods=["GET", "POST"]),
        Route("/batch", bound(batch.preview), methods=["POST"]),
        Route("/batch/decide", bound(batch.decide_batch), methods=["POST"]),
        Route("/livez", _livez),
        Route("/readyz", bound(_readyz)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if settings.oidc_issuer:
        client = login.oidc_client(inbox)
        routes += [
            Route("/login/oidc", functools.partial(login.oidc_start, inbox, client)),
            Route("/login/oidc/callback", functools.partial(login.oidc_callback, inbox, client)),
        ]
    secret = settings.inbox_session_secret
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
            session_cookie="hitl_inbox",
            max_age=int(settings.inbox_session_hours * 3600),
            same_site="lax",
            https_only=settings.inbox_secure_cookies,
        ),
    ]

    async def need_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginNeeded)
        return RedirectResponse(login_redirect(exc.path), status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        return inbox.render(request, "gone.html", exc.status, message=exc.message)

    async def not_found(request: Request, exc: Exception) -> Response:
        return inbox.render(request, "gone.html", 404, message=f"There is no page {request.url.path}.")

    async def unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RPCError)
        return inbox.render(request, "gone.html", 503, message=f"Temporal is unavailable: {exc.message}")

    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            LoginNeeded: need_login,
            Forbidden: forbidden,
            RPCError: unavailable,
            404: not_found,
        },
    )


async def _livez(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _readyz(inbox: Inbox, request: Request) -> Response:
    try:
        healthy = await inbox.client.service_client.check_health(timeout=READY_TIMEOUT)
    except (RPCError, RuntimeError):  # RuntimeError: a lazy client that cannot connect
        healthy = False
    return PlainTextResponse(
        "ok" if healthy else "Temporal is not answering", status_code=200 if healthy else 503
    )


class SecurityHeaders:
    """Adds a strict content security policy and framing, sniffing and caching headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
