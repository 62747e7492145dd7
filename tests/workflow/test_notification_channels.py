"""Notices on the channels the policy chooses per reviewer group, on the time-skipping server
with real local Slack/webhook (HTTP) and SMTP servers; a channel that is down delays nothing."""

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from hitl.contracts import TaskStatus
from hitl.settings import ChannelSettings
from tests.channel_servers import http_recorder, smtp_recorder
from tests.support import settings_for, unique
from tests.workflow.conftest import Harness
from tests.workflow.test_sla_ladder import audit_offsets
from workers.agent import build_agent_worker
from workers.local.ports import free_port
from workers.notification import build_notification_worker

LEADS = '[reviewers.support-leads]\nmembers = ["alice", "bob"]\napproval_limit = 1000\n'
MANAGERS = '[reviewers.managers]\nmembers = ["carol", "dave"]\napproval_limit = 10000\n'


@contextlib.asynccontextmanager
async def channel_harness(
    env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path, channels: ChannelSettings
) -> AsyncIterator[Harness]:
    """Agent and notification workers on private queues; the notification worker has `channels`."""
    task_queue = unique("tq")
    settings = settings_for(tmp_path, unique("notify")).model_copy(update=dict(channels))
    policy_dir = settings.policy_dir
    harness = Harness(env, pool, task_queue, settings.outbox, policy_dir)
    agent = build_agent_worker(env.client, pool, settings, task_queue=task_queue)
    notify = build_notification_worker(env.client, settings)
    try:
        async with agent, notify:
            yield harness
    finally:
        await harness.terminate_leftovers()


async def notified(h: Harness, task_id: str) -> list[tuple[str, str, bool]]:
    rows = await h.pool.fetch(
        "SELECT data FROM audit_events WHERE task_id = $1 AND kind = 'notified' ORDER BY seq", task_id
    )
    found = [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
    return sorted((d["kind"], d["groups"][0], d["delivered"]) for d in found)


async def test_slack_down_never_delays_the_escalation_ladder(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    # Every retry is a real request, so it takes a rate-limit slot; with Slack's 1/s the ~100
    # attempts of this skipped-time half hour would take 100 s of wall time.
    closed = SecretStr(f"http://127.0.0.1:{free_port()}/services/T0/B0/x")
    async with channel_harness(
        ts_env, pool, tmp_path, ChannelSettings(slack_webhook_url=closed, rates={"slack": 1000.0})
    ) as h:
        policy = h.refund_policy(
            unique("slackdown"),
            {LEADS: LEADS + 'channel = "slack"\n', MANAGERS: MANAGERS + 'channel = "slack"\n'},
        )
        handle = await h.refund_task(250, policy=policy)
        await h.wait_pending(handle)
        result = await handle.result()

        assert result.status is TaskStatus.REJECTED
        # The same hours as with a working channel: 4 h, then 8 h more, then the 24 h fallback.
        assert await audit_offsets(h, handle, ("escalated", "fallback")) == [
            ("escalated", 4.0),
            ("escalated", 12.0),
            ("fallback", 36.0),
        ]
        # Slack notices were retried with backoff until given up; the directors' went to the console.
        assert await notified(h, handle.id) == [
            ("escalation", "directors", True),
            ("escalation", "managers", False),
            ("new_request", "support-leads", False),
            ("outcome", "directors", True),
            ("outcome", "managers", False),
            ("outcome", "support-leads", False),
            ("reminder", "support-leads", False),
        ]


async def test_each_group_is_notified_on_its_own_channel_with_retries(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    secret = b"hook-secret"
    # The webhook's first answer is a 503: Temporal retries the notice with backoff.
    with http_recorder(secret=secret, statuses=[503]) as hook, smtp_recorder() as smtp:
        channels = ChannelSettings(
            webhook_url=hook.url,
            webhook_secret=SecretStr(secret.decode()),
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            email_to={"managers": ["managers@example.com"]},
        )
        async with channel_harness(ts_env, pool, tmp_path, channels) as h:
            policy = h.refund_policy(
                unique("routed"),
                {LEADS: LEADS + 'channel = "webhook"\n', MANAGERS: MANAGERS + 'channel = "email"\n'},
            )
            handle = await h.refund_task(250, policy=policy)
            await h.wait_pending(handle)
            result = await handle.result()

    assert result.status is TaskStatus.REJECTED
    deliveries = [(r.json()["kind"], r.headers["x-hitl-delivery"], r.signature_ok) for r in hook.received]
    key = f"{handle.id}/approval-1/new_request/0/support-leads"
    assert deliveries[:2] == [("new_request", key, True), ("new_request", key, True)]  # 503, then 200
    assert sorted(d[0] for d in deliveries[2:]) == ["outcome", "reminder"]
    assert [to for to, _ in smtp.messages] == [["managers@example.com"], ["managers@example.com"]]
    kinds = sorted(m["X-Hitl-Notice-Key"].split("/")[2] for _, m in smtp.messages)
    assert kinds == ["escalation", "outcome"]
    outbox = [json.loads(line) for line in h.outbox.read_text().splitlines()]
    assert sorted(n["kind"] for n in outbox if n["task_id"] == handle.id) == ["escalation", "outcome"]
