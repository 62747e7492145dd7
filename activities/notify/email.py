"""SMTP email: one plain-text message per notice to the addresses configured for the group."""

import asyncio
import hashlib
import smtplib
from email.message import EmailMessage

from activities.notify.errors import rejected, unavailable
from activities.notify.render import plain_text
from hitl.contracts import Notice
from hitl.settings import ChannelSettings


class EmailChannel:
    """Sends notices through one SMTP server (smtplib in a thread; no retries of its own)."""

    name = "email"

    def __init__(self, settings: ChannelSettings) -> None:
        if not settings.smtp_host:
            raise ValueError("the email channel needs HITL_SMTP_HOST")
        self._settings = settings

    def recipients(self, groups: list[str]) -> list[str]:
        """The addresses of `groups` (the `*` entry for groups without their own)."""
        found: list[str] = []
        for group in groups:
            found += self._settings.email_to.get(group) or self._settings.email_to.get("*", [])
        return list(dict.fromkeys(found))

    async def send(self, notice: Notice) -> None:
        """Send the message; a refused recipient is permanent, a connection problem is retried."""
        to = self.recipients(notice.groups)
        if not to:
            raise rejected(self.name, f"no address configured for {', '.join(notice.groups)} (HITL_EMAIL_TO)")
        await asyncio.to_thread(self._send, build_email(notice, self._settings.smtp_from, to))

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        try:
            with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=10) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user and s.smtp_password:
                    smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPAuthenticationError,
        ) as err:
            # Retrying cannot fix a refused address or a wrong login.
            raise rejected(self.name, str(err)) from err
        except (smtplib.SMTPException, OSError) as err:
            raise unavailable(self.name, f"{type(err).__name__}: {err}") from err


SUBJECT_LIMIT = 200


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_email(notice: Notice, sender: str, to: list[str]) -> EmailMessage:
    """The message for a notice; its Message-ID comes from the notice key, so a retried
    delivery carries the same id and mail clients show it once."""
    message = EmailMessage()
    # The title carries the agent's summary, which may hold line breaks: a header may not.
    message["Subject"] = _clip(" ".join(notice.title.split()), SUBJECT_LIMIT)
    message["From"] = sender
    message["To"] = ", ".join(to)
    digest = hashlib.sha256(notice.notice_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@hitl>"
    message["X-Hitl-Notice-Key"] = notice.notice_key
    message.set_content(plain_text(notice))
    return message
