"""The default channel: a readable block on the console and a JSON line in the outbox file.

The outbox file is what a reviewer (or a test) can read back; each notice appears once even if
the activity is retried, because lines carry the notice key and keys already written are
skipped.
"""

import asyncio
import json
import logging
import sys
from pathlib import Path

from hitl.contracts import Notice

log = logging.getLogger(__name__)


class ConsoleOutboxChannel:
    """Writes notices to stdout and appends them to an outbox file."""

    name = "console"

    def __init__(self, outbox: Path) -> None:
        self._outbox = outbox
        self._written: set[str] | None = None
        self._lock = asyncio.Lock()

    async def send(self, notice: Notice) -> None:
        """Print and append the notice unless its key was written before."""
        async with self._lock:
            written = self._load_keys()
            if notice.notice_key in written:
                return
            line = json.dumps(notice.model_dump(mode="json"), sort_keys=True)
            self._outbox.parent.mkdir(parents=True, exist_ok=True)
            with self._outbox.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            written.add(notice.notice_key)
        sys.stdout.write(_render(notice))
        sys.stdout.flush()

    def _load_keys(self) -> set[str]:
        if self._written is None:
            self._written = set()
            if self._outbox.exists():
                for raw in self._outbox.read_text(encoding="utf-8").splitlines():
                    try:
                        self._written.add(json.loads(raw)["notice_key"])
                    except (ValueError, KeyError, TypeError):
                        log.warning("skipping an unreadable outbox line")
        return self._written


def _render(notice: Notice) -> str:
    bar = "=" * 78
    decide = f"  CLI: {notice.cli_command}\n" if notice.cli_command else ""
    inbox = f"  Inbox: {notice.inbox_url}\n" if notice.inbox_url else ""
    return (
        f"\n{bar}\n[{notice.kind.value}] to {', '.join(notice.groups)}: {notice.title}\n"
        f"{inbox}  UI:  {notice.ui_url}\n{decide}{bar}\n"
    )
