"""Slack incoming webhook: a Block Kit message with the context summary, UI link and CLI command."""

import json
import re
from typing import Any

from pydantic import SecretStr

from activities.notify.errors import post_json
from activities.notify.render import hitl_commands
from hitl.contracts import Notice

SECTION_LIMIT = 3000
"""Slack refuses section text longer than this."""
HEADER_LIMIT = 150


class SlackChannel:
    """Posts notices to one Slack incoming webhook."""

    name = "slack"

    def __init__(self, webhook_url: SecretStr, timeout: float = 10.0) -> None:
        self._url = webhook_url
        self._timeout = timeout

    async def send(self, notice: Notice) -> None:
        """Post the message; a 429 or 5xx is retried by Temporal, another 4xx is not."""
        body = json.dumps(slack_message(notice)).encode()
        await post_json(self.name, self._url.get_secret_value(), body, {}, self._timeout)


def slack_message(notice: Notice) -> dict[str, Any]:
    """The Block Kit payload of a notice."""
    commands = [*hitl_commands(notice), *([notice.cli_command] if notice.cli_command else [])]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(notice.title, HEADER_LIMIT)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(
                        f"*{notice.kind.value}* · task `{notice.task_id}` · request `{notice.request_id}`"
                        f" · for {', '.join(notice.groups)}"
                    ),
                }
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(to_mrkdwn(notice.summary, trusted=_origin(notice.ui_url)), SECTION_LIMIT),
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(
                    "*Decide from a terminal*\n```" + escape("\n".join(commands)) + "```", SECTION_LIMIT
                ),
            },
        },
    ]
    links = [("Decide in the inbox", notice.inbox_url), ("Open in the Temporal UI", notice.ui_url)]
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
        for label, url in links
        if url
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": notice.title, "blocks": blocks}


def escape(text: str) -> str:
    """Escape what Slack would read as control sequences (`<!channel>`, `<url|label>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str, trusted: str = "") -> str:
    """Turn the card's markdown into Slack mrkdwn: bold, headings and links.

    The card carries the agent's words, so everything is escaped first (no mentions, no
    hidden links), and only links into the Temporal UI (`trusted`, an origin) become Slack links;
    any other link is shown with its address in full.
    """
    text = re.sub(r"^#{1,6}\s*(.+)$", r"*\1*", escape(markdown), flags=re.MULTILINE)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if trusted and (url == trusted or url.startswith(trusted + "/")):
            return f"<{url}|{label}>"
        return f"{label} ({url})"

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", link, text)


def _origin(url: str) -> str:
    """`scheme://host[:port]` of a URL ('' when it has none)."""
    match = re.match(r"^(https?://[^/\s]+)", url)
    return match.group(1) if match else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
