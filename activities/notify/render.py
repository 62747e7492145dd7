"""Text every channel shares: the inbox link, the decide commands (ids shell-quoted) and a
plain-text body."""

from shlex import quote
from urllib.parse import quote as url_quote

from hitl.contracts import Notice, NoticeKind


def with_inbox_link(notice: Notice, inbox_url: str | None) -> Notice:
    """`notice` with the link to its request's page in the reviewer inbox at `inbox_url`
    (unchanged without an inbox, and for outcome notices: nothing is left to decide)."""
    if not inbox_url or notice.kind is NoticeKind.OUTCOME:
        return notice
    page = f"{inbox_url.rstrip('/')}/r/{url_quote(notice.task_id, safe='')}/{url_quote(notice.request_id, safe='')}"
    return notice.model_copy(update={"inbox_url": page})


def hitl_commands(notice: Notice) -> list[str]:
    """The `hitl` commands that show and decide this request (none for an outcome notice)."""
    if notice.kind is NoticeKind.OUTCOME:
        return [f"hitl show {quote(notice.task_id)}"]
    task, request = quote(notice.task_id), quote(notice.request_id or "")
    return [f"hitl show {task}", f"hitl approve {task} --request {request} --as YOUR_ID"]


def plain_text(notice: Notice) -> str:
    """The notice as a plain-text message (email body, console)."""
    lines = [notice.title, "", notice.summary, ""]
    if notice.inbox_url:
        lines.append(f"Decide in the reviewer inbox: {notice.inbox_url}")
    if notice.ui_url:
        lines.append(f"Open in the Temporal UI: {notice.ui_url}")
    commands = hitl_commands(notice)
    if notice.cli_command:
        commands.append(notice.cli_command)
    lines += ["", "Decide from a terminal:", *[f"  {c}" for c in commands]]
    return "\n".join(lines) + "\n"
