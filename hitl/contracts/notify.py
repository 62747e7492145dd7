"""Notices the notification worker delivers to reviewers."""

from enum import StrEnum

from pydantic import Field

from hitl.contracts.base import Contract


class NoticeKind(StrEnum):
    """Why a reviewer is notified."""

    NEW_REQUEST = "new_request"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    OUTCOME = "outcome"


class Notice(Contract):
    """One message to one or more reviewer groups."""

    notice_key: str
    """Idempotency key: a retried delivery writes the outbox once."""
    kind: NoticeKind
    task_id: str
    request_id: str
    groups: list[str] = Field(default_factory=list)
    title: str
    summary: str
    """The context card (markdown)."""
    ui_url: str = ""
    inbox_url: str = ""
    """The request's page in the reviewer inbox; the notification worker adds it when
    `HITL_INBOX_URL` is set (empty otherwise, and for outcome notices)."""
    cli_command: str = ""
    channel: str = "console"
    """Delivery channel chosen by the policy for the reviewer group."""


class NotifyResult(Contract):
    """Where the notice went."""

    delivered: list[str] = Field(default_factory=list)
    duplicate: bool = False
