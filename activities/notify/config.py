"""Channel settings of the notification worker, read from the environment at process start.

| variable | meaning | default |
|---|---|---|
| `HITL_SLACK_WEBHOOK_URL` | Slack incoming webhook; enables the `slack` channel | none |
| `HITL_SMTP_HOST`, `HITL_SMTP_PORT` | SMTP server; the host enables the `email` channel | none, 25 |
| `HITL_SMTP_FROM` | sender address | `hitl@localhost` |
| `HITL_SMTP_USER`, `HITL_SMTP_PASSWORD` | SMTP login (optional) | none |
| `HITL_SMTP_STARTTLS` | `1` to upgrade the connection with STARTTLS | `0` |
| `HITL_EMAIL_TO` | recipients per reviewer group: `group=a@x,b@x;*=oncall@x` (`*`: any other group) | none |
| `HITL_WEBHOOK_URL`, `HITL_WEBHOOK_SECRET` | generic webhook and its HMAC-SHA256 key; the URL enables `webhook` | none |
| `HITL_NOTIFY_RATES` | per-channel messages per second: `slack=1,email=5,webhook=10` | those |

Secrets stay here, in the worker: notices (activity inputs, visible in the UI) never carry them.
"""

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hitl.errors import ConfigError

DEFAULT_RATES = {"console": 50.0, "slack": 1.0, "email": 5.0, "webhook": 10.0}
"""Slack documents about one message per second per incoming webhook; the others are gentle defaults."""


class ChannelSettings(BaseModel):
    """Which channels the notification worker can deliver on, and how."""

    model_config = ConfigDict(frozen=True)

    slack_webhook_url: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "hitl@localhost"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    email_to: dict[str, list[str]] = Field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    rates: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_RATES))
    http_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ChannelSettings":
        """Read the settings from the environment (or from `env`).

        Raises:
            ConfigError: A malformed `HITL_EMAIL_TO` or `HITL_NOTIFY_RATES`, or a webhook without a secret.
        """
        source = os.environ if env is None else env
        webhook_url = source.get("HITL_WEBHOOK_URL") or None
        secret = source.get("HITL_WEBHOOK_SECRET") or None
        if webhook_url and not secret:
            raise ConfigError(
                "HITL_WEBHOOK_URL is set but HITL_WEBHOOK_SECRET is not: webhooks are always signed"
            )
        slack = source.get("HITL_SLACK_WEBHOOK_URL") or None
        password = source.get("HITL_SMTP_PASSWORD") or None
        return cls(
            slack_webhook_url=SecretStr(slack) if slack else None,
            smtp_host=source.get("HITL_SMTP_HOST") or None,
            smtp_port=_port(source.get("HITL_SMTP_PORT") or "25"),
            smtp_from=source.get("HITL_SMTP_FROM") or "hitl@localhost",
            smtp_user=source.get("HITL_SMTP_USER") or None,
            smtp_password=SecretStr(password) if password else None,
            smtp_starttls=source.get("HITL_SMTP_STARTTLS", "0") == "1",
            email_to=parse_recipients(source.get("HITL_EMAIL_TO", "")),
            webhook_url=webhook_url,
            webhook_secret=SecretStr(secret) if secret else None,
            rates={**DEFAULT_RATES, **parse_rates(source.get("HITL_NOTIFY_RATES", ""))},
        )


def parse_recipients(text: str) -> dict[str, list[str]]:
    """Parse `group=a@x,b@x;*=c@x` into a mapping."""
    mapping: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        group, sep, addresses = part.partition("=")
        found = [a.strip() for a in addresses.split(",") if a.strip()]
        if not sep or not group.strip() or not found or not all("@" in a for a in found):
            raise ConfigError(f"HITL_EMAIL_TO: {part!r} is not 'group=address,address'")
        mapping[group.strip()] = found
    return mapping


def parse_rates(text: str) -> dict[str, float]:
    """Parse `slack=1,email=5` into a mapping of positive rates."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = 0.0
        if rate <= 0 or not name.strip():
            raise ConfigError(f"HITL_NOTIFY_RATES: {part!r} is not 'channel=messages_per_second'")
        rates[name.strip()] = rate
    return rates


def _port(text: str) -> int:
    """`HITL_SMTP_PORT` as a port number, or a clear configuration error."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"HITL_SMTP_PORT must be a port number (1-65535), not {text!r}")
    return int(text)
