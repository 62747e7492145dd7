"""What every page of the inbox shares: the Temporal client, the directory, the accounts, the
issuer, the rate limiter and the templates; and `render`, which fills in the page frame."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates
from temporalio.client import Client

from hitl.inbox.accounts import Accounts
from hitl.inbox.directory import Directory
from hitl.inbox.session import csrf_token, reviewer_of, take_flashes
from hitl.inbox.words import describe_duration
from hitl.review.issuer import Issuer
from hitl.settings import InboxProcessSettings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Limiter:
    """Moving-window rate limits (the `limits` library), in this process's memory."""

    login_rate: RateLimitItem
    decide_rate: RateLimitItem
    window: MovingWindowRateLimiter = field(default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))

    @classmethod
    def of(cls, settings: InboxProcessSettings) -> "Limiter":
        """The limits the settings name."""
        return cls(parse(settings.inbox_login_rate), parse(settings.inbox_decide_rate))

    def login_allowed(self, *keys: str) -> bool:
        """Whether another login attempt is allowed for every key (account, client address)."""
        return all(self.window.test(self.login_rate, "login", key) for key in keys)

    def login_failed(self, *keys: str) -> None:
        """Count a failed login against each key."""
        for key in keys:
            self.window.hit(self.login_rate, "login", key)

    def decide(self, reviewer: str, count: int = 1) -> bool:
        """Count `count` decisions by `reviewer`; False (and nothing counted) when over the limit."""
        return self.window.hit(self.decide_rate, "decide", reviewer, cost=count)


@dataclass
class Inbox:
    """The inbox's dependencies, built once per process (`hitl.inbox.app.build_app`)."""

    settings: InboxProcessSettings
    client: Client
    directory: Directory
    accounts: Accounts
    issuer: Issuer | None
    limiter: Limiter
    templates: Jinja2Templates = field(default_factory=lambda: _templates())

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """Render template `name` inside the page frame (reviewer, CSRF token, messages)."""
        frame = {
            "reviewer": reviewer_of(request),
            "csrf": csrf_token(request),
            "flashes": take_flashes(request),
            "oidc": self.settings.oidc_issuer is not None,
            "local_login": self.settings.inbox_accounts_file is not None,
        }
        return self.templates.TemplateResponse(request, name, {**frame, **values}, status_code=status)


def _templates() -> Jinja2Templates:
    """Templates with every value escaped (the card carries the agent's words)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["left"] = lambda deadline: describe_duration(deadline, datetime.now(UTC))
    return Jinja2Templates(env=env)
