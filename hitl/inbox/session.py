"""The logged-in reviewer, CSRF tokens and one-time messages, kept in the signed session cookie.

The cookie is signed (Starlette's `SessionMiddleware`, itsdangerous) and expires with the login;
it holds the reviewer's name, when the login ends, the CSRF token and pending messages, never a
password or a token. Every state-changing request carries the CSRF token (a form field or the
`X-CSRF-Token` header) and is refused without it.
"""

import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class LoginNeeded(Exception):
    """The page needs a logged-in reviewer; the handler sends the browser to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Forbidden(Exception):
    """The reviewer may not see or do this (another group's request, a bad CSRF token)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def log_in(request: Request, reviewer: str, via: str, hours: float) -> None:
    """Start a fresh session for `reviewer` (a new CSRF token: nothing of the old session stays)."""
    request.session.clear()
    request.session.update(
        {
            "reviewer": reviewer,
            "via": via,
            "until": int(time.time() + hours * 3600),
            CSRF_FIELD: secrets.token_urlsafe(32),
        }
    )


def log_out(request: Request) -> None:
    """End the session."""
    request.session.clear()


def reviewer_of(request: Request) -> str | None:
    """The logged-in reviewer, or None (also when the login has expired)."""
    name = request.session.get("reviewer")
    until = request.session.get("until", 0)
    if not isinstance(name, str) or not isinstance(until, int) or until < time.time():
        return None
    return name


def require_reviewer(request: Request) -> str:
    """The logged-in reviewer.

    Raises:
        LoginNeeded: Nobody is logged in; after login the browser comes back here.
    """
    name = reviewer_of(request)
    if name is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginNeeded(target)
    return name


def login_redirect(path: str) -> str:
    """The login page's address, coming back to `path` afterwards."""
    return f"/?next={quote(path, safe='')}"


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use, also before login)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a state-changing request whose CSRF token is missing or wrong.

    Raises:
        Forbidden: The token does not match this session's.
    """
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden("the form is out of date or not from this inbox (CSRF check failed): reload the page")


def safe_next(path: str | None, default: str = "/queue") -> str:
    """`path` when it is a page of this inbox, else `default` (no redirects elsewhere)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def flash(request: Request, kind: str, text: str, **extra: Any) -> None:
    """Keep a message for the next page (`kind`: `ok`, `refused`, `error`)."""
    request.session.setdefault("flash", []).append({"kind": kind, "text": text, **extra})


def take_flashes(request: Request) -> list[dict[str, Any]]:
    """The messages kept for this page; they are shown once."""
    found = request.session.pop("flash", [])
    return found if isinstance(found, list) else []
