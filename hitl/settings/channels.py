"""Channel settings of the notification worker: which channels it delivers on, and how.

Secrets stay in the notification worker: notices (activity inputs, visible in the UI) never
carry them.
"""

from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from hitl.settings.base import DOC_DEFAULT, HitlSettings
from hitl.settings.groups import Port

DEFAULT_RATES = {"console": 50.0, "slack": 1.0, "email": 5.0, "webhook": 10.0}
"""Slack documents about one message per second per incoming webhook; the others are gentle defaults."""

HTTP_TIMEOUT = 10.0
"""Seconds a Slack or webhook request may take; Temporal retries a notice that timed out."""


class ChannelSettings(HitlSettings):
    """The Slack, email and webhook channels; the console/outbox channel needs no settings."""

    slack_webhook_url: SecretStr | None = None
    """Slack incoming webhook URL; enables the `slack` channel."""
    smtp_host: str | None = None
    """SMTP server; enables the `email` channel."""
    smtp_port: Port = 25
    """SMTP server port."""
    smtp_from: str = "hitl@localhost"
    """Sender address of notice emails."""
    smtp_user: str | None = None
    """SMTP login name (optional)."""
    smtp_password: SecretStr | None = None
    """SMTP password (optional)."""
    smtp_starttls: bool = False
    """`1` to upgrade the SMTP connection with STARTTLS."""
    email_to: Annotated[dict[str, list[str]], NoDecode] = Field(default_factory=dict)
    """Email recipients per reviewer group: `group=a@x,b@x;*=oncall@x` (`*`: any other group)."""
    webhook_url: str | None = None
    """Generic webhook URL; enables the `webhook` channel (only with `HITL_WEBHOOK_SECRET`)."""
    webhook_secret: SecretStr | None = None
    """HMAC-SHA256 key every webhook delivery is signed with."""
    rates: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_RATES),
        validation_alias="HITL_NOTIFY_RATES",
        json_schema_extra={DOC_DEFAULT: "`console=50,slack=1,email=5,webhook=10`"},
    )
    """Messages per second per channel, e.g. `slack=1,email=5`; channels not named keep their default."""

    @field_validator("email_to", mode="before")
    @classmethod
    def _recipients(cls, value: Any) -> Any:
        return parse_recipients(value) if isinstance(value, str) else value

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        return {**DEFAULT_RATES, **parse_rates(value)} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> Self:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "HITL_WEBHOOK_URL is set but HITL_WEBHOOK_SECRET is not: webhooks are always signed"
            )
        return self


def parse_recipients(text: str) -> dict[str, list[str]]:
    """Parse `group=a@x,b@x;*=c@x` into a mapping.

    Raises:
        ValueError: A part is not `group=address,address`.
    """
    mapping: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        group, sep, addresses = part.partition("=")
        found = [a.strip() for a in addresses.split(",") if a.strip()]
        if not sep or not group.strip() or not found or not all("@" in a for a in found):
            raise ValueError(f"{part!r} is not 'group=address,address'")
        mapping[group.strip()] = found
    return mapping


def parse_rates(text: str) -> dict[str, float]:
    """Parse `slack=1,email=5` into a mapping of positive rates.

    Raises:
        ValueError: A part is not `channel=messages_per_second` with a positive number.
    """
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = 0.0
        if rate <= 0 or not name.strip():
            raise ValueError(f"{part!r} is not 'channel=messages_per_second'")
        rates[name.strip()] = rate
    return rates
