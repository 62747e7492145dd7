"""Notification channels against real local servers: Slack (HTTP), email (SMTP), signed webhook."""

import hashlib
import hmac
import json
import time

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from activities.notify.email import EmailChannel
from activities.notify.errors import CHANNEL_REJECTED, CHANNEL_UNAVAILABLE
from activities.notify.rate_limit import ChannelRateLimiter
from activities.notify.slack import SlackChannel
from activities.notify.webhook import WebhookChannel, sign, verify_signature
from hitl.contracts import Notice, NoticeKind
from hitl.errors import ConfigError
from hitl.settings.channels import ChannelSettings, parse_rates, parse_recipients
from tests.channel_servers import http_recorder, smtp_recorder
from workers.local.ports import free_port

CARD = "### Approval `approval-1`: Refund 250 USD\n\n**Tool** `issue_refund` · **risk** high_risk_write"
NOTICE = Notice(
    notice_key="refund-7/approval-1/new_request/0/support-leads",
    kind=NoticeKind.NEW_REQUEST,
    task_id="refund-7",
    request_id="approval-1",
    groups=["support-leads"],
    title="[refund-7] Refund 250 USD waits for your decision",
    summary=CARD,
    ui_url="http://localhost:8233/namespaces/default/workflows/refund-7",
    cli_command="temporal workflow signal --workflow-id refund-7 --name decide --input '{}'",
    channel="slack",
)


async def test_slack_posts_a_block_kit_message_with_summary_link_and_commands() -> None:
    with http_recorder() as slack:
        await SlackChannel(SecretStr(slack.url)).send(NOTICE)
    [got] = slack.received
    message = got.json()
    assert message["text"] == NOTICE.title
    assert [b["type"] for b in message["blocks"]] == ["header", "context", "section", "section", "actions"]
    assert message["blocks"][2]["text"] == {
        "type": "mrkdwn",
        "text": "*Approval `approval-1`: Refund 250 USD*\n\n*Tool* `issue_refund` · *risk* high_risk_write",
    }
    assert message["blocks"][3]["text"]["text"] == (
        "*Decide from a terminal*\n```hitl show refund-7\n"
        "hitl approve refund-7 --request approval-1 --as YOUR_ID\n" + NOTICE.cli_command + "```"
    )
    assert message["blocks"][4]["elements"][0]["url"] == NOTICE.ui_url


async def test_slack_shows_the_agents_words_as_text_never_as_mentions_or_hidden_links() -> None:
    injected = NOTICE.model_copy(
        update={
            "summary": "Refund <!channel> & see [the approved ticket](https://evil.example/login)"
            " or [open the task](http://localhost:8233/namespaces/default/workflows/refund-7)",
            "task_id": "refund-<7>",
        }
    )
    with http_recorder() as slack:
        await SlackChannel(SecretStr(slack.url)).send(injected)
    [got] = slack.received
    blocks = got.json()["blocks"]
    assert blocks[2]["text"]["text"] == (
        "Refund &lt;!channel&gt; &amp; see the approved ticket (https://evil.example/login)"
        " or <http://localhost:8233/namespaces/default/workflows/refund-7|open the task>"
    )
    assert "task `refund-&lt;7&gt;`" in blocks[1]["elements"][0]["text"]


@pytest.mark.parametrize(
    ("status", "kind", "non_retryable"),
    [(500, CHANNEL_UNAVAILABLE, False), (429, CHANNEL_UNAVAILABLE, False), (404, CHANNEL_REJECTED, True)],
)
async def test_http_failures_are_classified_for_temporal_retries(
    status: int, kind: str, non_retryable: bool
) -> None:
    with http_recorder(statuses=[status]) as slack, pytest.raises(ApplicationError) as raised:
        await SlackChannel(SecretStr(slack.url)).send(NOTICE)
    assert (raised.value.type, raised.value.non_retryable) == (kind, non_retryable)


async def test_a_channel_that_is_down_is_a_retryable_failure() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(ApplicationError) as raised:
        await SlackChannel(SecretStr(url), timeout=2).send(NOTICE)
    assert (raised.value.type, raised.value.non_retryable) == (CHANNEL_UNAVAILABLE, False)
    assert url not in str(raised.value)  # the webhook URL is a secret


async def test_email_goes_to_the_group_addresses_through_smtp() -> None:
    with smtp_recorder() as smtp:
        settings = ChannelSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_from="hitl@example.com",
            email_to=parse_recipients(
                "support-leads=leads@example.com,alice@example.com;*=oncall@example.com"
            ),
        )
        channel = EmailChannel(settings)
        await channel.send(NOTICE)
        await channel.send(NOTICE.model_copy(update={"groups": ["managers"]}))
    [(to_leads, leads), (to_managers, _)] = smtp.messages
    assert (to_leads, to_managers) == (["leads@example.com", "alice@example.com"], ["oncall@example.com"])
    assert (leads["Subject"], leads["From"], leads["X-Hitl-Notice-Key"]) == (
        NOTICE.title,
        "hitl@example.com",
        NOTICE.notice_key,
    )
    payload = leads.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode().replace("\r\n", "\n")  # SMTP line ends
    assert body == (
        f"{NOTICE.title}\n\n{CARD}\n\nOpen in the Temporal UI: {NOTICE.ui_url}\n\nDecide from a terminal:\n"
        "  hitl show refund-7\n  hitl approve refund-7 --request approval-1 --as YOUR_ID\n"
        f"  {NOTICE.cli_command}\n"
    )


async def test_a_title_with_line_breaks_becomes_one_subject_line() -> None:
    with smtp_recorder() as smtp:
        settings = ChannelSettings(
            smtp_host="127.0.0.1", smtp_port=smtp.port, email_to=parse_recipients("*=oncall@example.com")
        )
        await EmailChannel(settings).send(NOTICE.model_copy(update={"title": "Refund 250\nUSD\r\n waits"}))
    [(_, message)] = smtp.messages
    assert message["Subject"] == "Refund 250 USD waits"


async def test_email_without_recipients_or_server_fails_clearly() -> None:
    nobody = EmailChannel(ChannelSettings(smtp_host="127.0.0.1", smtp_port=free_port()))
    with pytest.raises(ApplicationError) as no_address:
        await nobody.send(NOTICE)
    assert (no_address.value.type, no_address.value.non_retryable) == (CHANNEL_REJECTED, True)
    down = EmailChannel(
        ChannelSettings(smtp_host="127.0.0.1", smtp_port=free_port(), email_to={"*": ["x@example.com"]})
    )
    with pytest.raises(ApplicationError) as no_server:
        await down.send(NOTICE)
    assert (no_server.value.type, no_server.value.non_retryable) == (CHANNEL_UNAVAILABLE, False)


async def test_webhook_is_signed_and_verifiable() -> None:
    secret = b"s3cret-for-tests"
    with http_recorder(secret=secret) as hook:
        await WebhookChannel(hook.url, SecretStr(secret.decode())).send(NOTICE)
    [got] = hook.received
    assert got.signature_ok is True
    assert got.headers["x-hitl-delivery"] == NOTICE.notice_key
    assert Notice.model_validate_json(got.body) == NOTICE
    stamp = got.headers["x-hitl-timestamp"]
    assert verify_signature(secret, stamp, got.body, got.headers["x-hitl-signature"], now=int(stamp) + 10)
    assert not verify_signature(
        secret, stamp, got.body + b" ", got.headers["x-hitl-signature"], now=int(stamp)
    )
    assert not verify_signature(
        secret, stamp, got.body, got.headers["x-hitl-signature"], now=int(stamp) + 301
    )
    assert not verify_signature(b"other", stamp, got.body, got.headers["x-hitl-signature"], now=int(stamp))
    expected = hmac.new(secret, f"{stamp}.".encode() + got.body, hashlib.sha256).hexdigest()
    assert sign(secret, stamp, got.body) == f"sha256={expected}"


async def test_webhook_with_a_wrong_secret_is_refused_for_good() -> None:
    with http_recorder(secret=b"right") as hook, pytest.raises(ApplicationError) as raised:
        await WebhookChannel(hook.url, SecretStr("wrong")).send(NOTICE)
    assert [r.signature_ok for r in hook.received] == [False]
    assert (raised.value.type, raised.value.non_retryable) == (CHANNEL_REJECTED, True)


async def test_rate_limit_spaces_sends_per_channel() -> None:
    limiter = ChannelRateLimiter({"slack": 10.0}, burst=1)
    began = time.monotonic()
    waits = [await limiter.acquire("slack") for _ in range(4)]
    elapsed = time.monotonic() - began
    assert waits[0] == 0.0
    assert 0.29 <= elapsed < 2.0  # three gaps of 0.1 s
    assert [await limiter.acquire("console") for _ in range(4)] == [0.0] * 4  # no rate configured


def test_channel_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "HITL_SLACK_WEBHOOK_URL": "https://hooks.example/T1",
        "HITL_SMTP_HOST": "mail",
        "HITL_SMTP_PORT": "2525",
        "HITL_EMAIL_TO": "managers=m@example.com",
        "HITL_WEBHOOK_URL": "https://example/hook",
        "HITL_WEBHOOK_SECRET": "k",
        "HITL_NOTIFY_RATES": "slack=0.5",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = ChannelSettings.from_env()
    assert (settings.smtp_host, settings.smtp_port, settings.email_to) == (
        "mail",
        2525,
        {"managers": ["m@example.com"]},
    )
    assert settings.rates == {"console": 50.0, "slack": 0.5, "email": 5.0, "webhook": 10.0}
    assert "hooks.example" not in repr(settings)
    monkeypatch.delenv("HITL_WEBHOOK_SECRET")
    with pytest.raises(ConfigError) as unsigned:
        ChannelSettings.from_env()
    assert str(unsigned.value) == (
        "HITL_WEBHOOK_URL is set but HITL_WEBHOOK_SECRET is not: webhooks are always signed"
    )
    with pytest.raises(ValueError, match="'managers' is not 'group=address,address'"):
        parse_recipients("managers")
    with pytest.raises(ValueError, match="'slack=fast' is not 'channel=messages_per_second'"):
        parse_rates("slack=fast")
    assert json.loads(json.dumps(parse_rates(""))) == {}
