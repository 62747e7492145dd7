"""Settings of the reviewer inbox (`python -m hitl.inbox`), and the link to it that notices carry.

The inbox signs every decision it sends with its own key, as an issuer the policy pins
(`[identity.issuers.<name>]`, docs/identity.md); `HITL_INBOX_ISSUER` and `HITL_INBOX_AUDIENCE`
must match that entry. Local accounts and OIDC login may both be on; at least one must be.
"""

from pathlib import Path
from typing import Annotated, Any, Self

from limits import parse as parse_rate
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from hitl.settings.base import DOC_DEFAULT, HitlSettings
from hitl.settings.groups import Port

DEFAULT_PORT = 8235
"""Beside the Temporal Web UI (8233) and the codec server (8234)."""


class InboxLinkSettings(HitlSettings):
    """Where the reviewer inbox is, for links to a request's page."""

    inbox_url: str | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "none: notices carry no inbox link; the inbox: its own address"}
    )
    """Public base URL of the reviewer inbox, e.g. `https://inbox.example.com`: notices link to each
    request's page there, and the inbox builds its OIDC redirect address from it."""

    @field_validator("inbox_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None


class InboxPortSettings(HitlSettings):
    """The port the inbox listens on (the local stack starts it there)."""

    inbox_port: Port = DEFAULT_PORT
    """Port of the reviewer inbox."""


class InboxLoginSettings(HitlSettings):
    """How reviewers log in to the inbox: local accounts, an OIDC provider, or both."""

    inbox_accounts_file: Path | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: no local login"})
    """Local accounts (JSON lines of name and argon2 hash; `python -m hitl.inbox add-account NAME`)."""
    inbox_demo_logins: Path | None = None
    """`make run` only: give every reviewer in the policies a local account with a random password,
    written to this file (mode 0600)."""
    oidc_issuer: str | None = Field(None, json_schema_extra={DOC_DEFAULT: "none: no OIDC login"})
    """OIDC provider (its `/.well-known/openid-configuration` is read at login); enables SSO login."""
    oidc_client_id: str = "hitl-inbox"
    """The inbox's client id at the OIDC provider."""
    oidc_client_secret: SecretStr = SecretStr("")
    """The inbox's client secret at the OIDC provider."""
    oidc_claim: str = "email"
    """The ID token claim that names the reviewer (`email`, `preferred_username`, `sub`, ...)."""
    oidc_subjects: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Claim value -> reviewer name, `alice@example.com=alice;bob@example.com=bob`; a value not
    listed names the reviewer itself."""

    @field_validator("oidc_subjects", mode="before")
    @classmethod
    def _subjects(cls, value: Any) -> Any:
        return parse_subjects(value) if isinstance(value, str) else value


class InboxSettings(InboxLinkSettings, InboxLoginSettings, InboxPortSettings):
    """The inbox's own process settings (the logging and policy groups come with the process model)."""

    inbox_host: str = "127.0.0.1"
    """Address the inbox listens on."""
    inbox_key_file: Path | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "none: decisions go unsigned (asserted)"}
    )
    """Ed25519 private key (PEM) that signs the decision tokens the inbox issues."""
    inbox_issuer: str = "hitl-inbox"
    """`iss` of the inbox's decision tokens: the `issuer` of its entry in the policy."""
    inbox_audience: str = "temporal-hitl"
    """`aud` of the inbox's decision tokens: the `audience` of its entry in the policy."""
    inbox_token_seconds: int = Field(300, gt=0, le=86_400)
    """How long a decision token the inbox issues counts."""
    inbox_session_secret: SecretStr | None = Field(
        None, json_schema_extra={DOC_DEFAULT: "random per start: sessions end when the inbox restarts"}
    )
    """Key that signs session cookies; give the same one to every replica."""
    inbox_session_hours: float = Field(8.0, gt=0)
    """A login lasts this long."""
    inbox_secure_cookies: bool = False
    """`1` when the inbox is served over HTTPS: cookies are sent over HTTPS only."""
    inbox_login_rate: str = "10/minute"
    """Failed logins allowed per account and per client address (`limits` notation)."""
    inbox_decide_rate: str = "600/minute"
    """Decisions a reviewer may send (one per task in a batch)."""

    @field_validator("inbox_login_rate", "inbox_decide_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError naming what it cannot read
        return value

    @model_validator(mode="after")
    def _some_login(self) -> Self:
        if self.inbox_accounts_file is None and self.oidc_issuer is None:
            raise ValueError(
                "the inbox needs a way to log in: set HITL_INBOX_ACCOUNTS_FILE, HITL_OIDC_ISSUER or both"
            )
        return self

    def base_url(self) -> str:
        """The inbox's public address: `HITL_INBOX_URL`, else where it listens."""
        return self.inbox_url or f"http://{self.inbox_host}:{self.inbox_port}"


def parse_subjects(text: str) -> dict[str, str]:
    """Parse `claim=reviewer;claim=reviewer`.

    Raises:
        ValueError: A part is not `claim=reviewer`.
    """
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        claim, sep, reviewer = part.partition("=")
        if not sep or not claim.strip() or not reviewer.strip():
            raise ValueError(f"{part!r} is not 'claim=reviewer'")
        mapping[claim.strip()] = reviewer.strip()
    return mapping
